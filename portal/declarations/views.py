"""The professional's declarations: years, claims, evidence, submission.

Every change goes through portal.declarations.service, which refuses changes to a submitted
declaration whatever the path (form, htmx request or hand-made POST).
"""

from pathlib import PurePath
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from portal import rules
from portal.accounts import registrations
from portal.accounts.models import PersonStatus, Role
from portal.declarations import evidence as files
from portal.declarations import forms, service
from portal.declarations.models import Claim, Declaration, DeclarationStatus, Evidence
from portal.extensions import db, login_manager
from portal.fields import bounded_int
from portal.formtokens.service import once
from portal.refusal import Refusal
from portal.security import is_htmx

bp = Blueprint("declarations", __name__, url_prefix="/declarations")

SHARED_ENDPOINTS = {"declarations.evidence_download", "declarations.evidence_preview"}


@bp.before_request
def _gate():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.endpoint not in SHARED_ENDPOINTS and current_user.role is not Role.PROFESSIONAL:
        abort(403)
    if request.endpoint not in SHARED_ENDPOINTS and current_user.professional is None:
        if request.endpoint == "declarations.index":
            # A registration waiting as a request (it matched a person already in the register).
            held = registrations.pending_request_of(current_user)
            return render_template("accounts/waiting.html", held=held)
        abort(403)


def _declaration(year: int) -> Declaration:
    declaration = service.own_declaration(current_user, year)
    if declaration is None:
        abort(404)
    return declaration


def _claim(declaration: Declaration, claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.declaration_id != declaration.id:
        abort(404)
    return claim


def _page(declaration: Declaration, status: int = 200, **extra):
    template = "declarations/_body.html" if is_htmx() else "declarations/edit.html"
    return render_template(template, **{**page_context(declaration), **extra}), status


def page_context(declaration: Declaration) -> dict:
    rule_set = service.rule_set_of(declaration)
    found = service.evaluation(declaration)
    groups = {rules.GENERAL: [], rules.PROFESSIONAL: []}
    for number, claim in enumerate(declaration.claims, start=1):
        groups.setdefault(claim.subject, []).append((number, claim))
    return {
        "declaration": declaration,
        "rule_set": rule_set,
        "found": found,
        "result": found.year,
        "groups": groups,
        "subject_labels": rules.SUBJECT_LABELS,
        "detail_labels": forms.DETAIL_LABELS,
        "editable": declaration.status is DeclarationStatus.DRAFT,
        "adding_files": declaration.status is DeclarationStatus.NEEDS_EVIDENCE,
        "switchable": service.can_switch_rule_set(declaration),
        "electable": service.electable_rule_sets(declaration.year, declaration.professional),
        "can_elect": lambda claim: service.electable(declaration, claim),
        "elected_claim": next((c for c in declaration.claims if c.elected), None),
        "confirmed": declaration.professional.status is PersonStatus.CONFIRMED,
        "accept": files.ACCEPT,
        "max_file": files.human_size(files.max_file_bytes()),
        "max_declaration": files.human_size(files.max_declaration_bytes()),
        "upload_errors": {},
        "human_size": files.human_size,
    }


def _back(declaration: Declaration, anchor: str | None = None):
    url = url_for("declarations.edit", year=declaration.year)
    return redirect(url + (f"#{anchor}" if anchor else ""), code=303)


def _changed(declaration: Declaration):
    """After an htmx change: the refreshed body (claims and totals); else back to the page."""
    if is_htmx():
        return render_template("declarations/_body.html", **page_context(declaration))
    return _back(declaration)


# --- years -------------------------------------------------------------------------------


@bp.get("/")
def index():
    declarations = service.own_declarations(current_user)
    opened = {d.year for d in declarations}
    person = current_user.professional
    openable = [y for y in service.openable_years(person=person) if y not in opened]
    choices = {y: service.electable_rule_sets(y, person) for y in openable}
    results = {d.id: service.evaluation(d, store=False, flags=False).year for d in declarations}
    return render_template(
        "declarations/index.html",
        declarations=declarations,
        openable=openable,
        choices=choices,
        results=results,
        person=person,
        confirmed=person.status is PersonStatus.CONFIRMED,
    )


@bp.post("/open")
@once
def open_year():
    year = request.form.get("year", type=bounded_int)
    if year is None or not 1 <= year <= 9999:  # a huge number never reaches the database
        abort(400)
    declaration = service.open_declaration(current_user, year, request.form.get("rule_set") or None)
    flash(f"已打开{year}年度学时申报。", "success")
    return _back(declaration)


@bp.get("/<int:year>")
def edit(year: int):
    declaration = service.own_declaration(current_user, year)
    if declaration is None:  # a bookmarked or typed year not opened yet: offer to open it
        flash(f"您尚未填写{year}年度申报，可在下方打开。", "info")
        return redirect(url_for("declarations.index"), code=303)
    return _page(declaration)


@bp.post("/<int:year>/rule-set")
def rule_set(year: int):
    declaration = _declaration(year)
    service.switch_rule_set(current_user, declaration, request.form.get("rule_set", ""))
    flash(f"已改用“{service.rule_set_of(declaration).name}”。", "success")
    return _back(declaration)


# --- claims ------------------------------------------------------------------------------


def _kind_or_picker(declaration: Declaration):
    rule_set = service.rule_set_of(declaration)
    kind_id = request.values.get("kind", "")
    if kind_id not in rule_set.kinds:
        return None, rule_set
    return rule_set.kinds[kind_id], rule_set


@bp.route("/<int:year>/claims/new", methods=["GET", "POST"])
@once
def new_claim(year: int):
    declaration = _declaration(year)
    if request.method == "POST":
        service.ensure_draft(current_user, declaration, "claim.add")
    if declaration.status is not DeclarationStatus.DRAFT:
        return _back(declaration)
    kind, rule_set = _kind_or_picker(declaration)
    if kind is None:
        if request.method == "POST":
            abort(400)
        return render_template(
            "declarations/kinds.html", declaration=declaration, rule_set=rule_set
        )
    form = forms.claim_form(rule_set.id, kind.id, year)
    if form.validate_on_submit():
        claim = service.add_claim(
            current_user, declaration, kind.id, form.facts(), form.details(), form.subject_value()
        )
        flash(f"已添加“{kind.label}”，{claim.hours}学时。", "success")
        return _back(declaration, f"claim-{claim.id}")
    status = 422 if request.method == "POST" else 200
    return _claim_form_page(declaration, form, None, status)


def _claim_form_page(declaration, form, claim, status):
    preview, preview_errors = form.result, {}
    if preview is None and (request.method == "POST" or claim is not None):
        preview, preview_errors = form.preview()  # the hours so far, beside the errors
    return (
        render_template(
            "declarations/claim_form.html",
            declaration=declaration,
            form=form,
            kind=form.kind_spec,
            claim=claim,
            preview=preview,
            preview_errors=preview_errors,
            subject_label=forms.subject_label(form.kind_spec),
        ),
        status,
    )


@bp.route("/<int:year>/claims/<int:claim_id>", methods=["GET", "POST"])
def edit_claim(year: int, claim_id: int):
    declaration = _declaration(year)
    claim = _claim(declaration, claim_id)
    if declaration.status is not DeclarationStatus.DRAFT:
        if request.method == "POST":
            service.ensure_draft(current_user, declaration, "claim.update", claim)
        return _back(declaration, f"claim-{claim.id}")
    form_class = forms.claim_form_class(declaration.rule_set, claim.kind, year)
    form = form_class(data=forms.form_data_of(claim)) if request.method == "GET" else form_class()
    if form.validate_on_submit():
        service.update_claim(
            current_user, claim, form.facts(), form.details(), form.subject_value()
        )
        flash(f"已保存“{form.kind_spec.label}”，{claim.hours}学时。", "success")
        return _back(declaration, f"claim-{claim.id}")
    return _claim_form_page(declaration, form, claim, 422 if request.method == "POST" else 200)


@bp.post("/<int:year>/claims/preview")
def preview(year: int):
    """The live hours of the claim being typed (htmx); nothing is saved."""
    declaration = _declaration(year)
    kind, rule_set = _kind_or_picker(declaration)
    if kind is None:
        abort(400)
    form = forms.claim_form(rule_set.id, kind.id, year, meta={"csrf": False})
    result, errors = form.preview()
    return render_template(
        "declarations/_preview.html", preview=result, preview_errors=errors, form=form, oob=True
    )


@bp.post("/<int:year>/claims/<int:claim_id>/subject")
def claim_subject(year: int, claim_id: int):
    declaration = _declaration(year)
    claim = _claim(declaration, claim_id)
    service.change_subject(current_user, claim, request.form.get("subject", ""))
    return _changed(declaration)


@bp.post("/<int:year>/elect")
def elect(year: int):
    """就高认定项 (第二十一条4): the claim that counts, or none (the system chooses)."""
    declaration = _declaration(year)
    claim_id = request.form.get("claim", type=bounded_int)
    if claim_id is None:
        service.clear_election(current_user, declaration)
    else:
        service.elect_claim(current_user, _claim(declaration, claim_id))
    if not is_htmx():
        flash("已保存就高认定的选择。", "success")
    return _changed(declaration)


@bp.post("/<int:year>/claims/<int:claim_id>/delete")
def delete_claim(year: int, claim_id: int):
    declaration = _declaration(year)
    claim = _claim(declaration, claim_id)
    service.delete_claim(current_user, claim)
    if not is_htmx():
        flash("已删除申报条目。", "success")
    return _changed(declaration)


# --- evidence ----------------------------------------------------------------------------


@bp.post("/<int:year>/claims/<int:claim_id>/evidence")
@once
def upload(year: int, claim_id: int):
    declaration = _declaration(year)
    claim = _claim(declaration, claim_id)
    try:
        items = service.add_evidence_files(current_user, claim, request.files.getlist("file"))
    except Refusal as error:
        if error.field != "file":
            raise
        db.session.rollback()
        return _page(declaration, 422, upload_errors={claim.id: error.message})
    names = "、".join(f"“{item.original_name}”" for item in items)
    flash(f"已上传证明材料{names}。", "success")
    return _back(declaration, f"claim-{claim.id}")


@bp.post("/<int:year>/evidence/<int:evidence_id>/delete")
def delete_evidence(year: int, evidence_id: int):
    declaration = _declaration(year)
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.claim.declaration_id != declaration.id:
        abort(404)
    service.delete_evidence(current_user, item)
    if not is_htmx():
        flash("已删除证明材料。", "success")
    return _changed(declaration)


def _viewable_evidence(evidence_id: int) -> Evidence:
    item = db.session.get(Evidence, evidence_id)
    if item is None or not service.can_view_evidence(current_user, item.claim.declaration):
        abort(404)  # never say whether someone else's file (or draft) exists
    return item


def _ascii_name(item: Evidence) -> str:
    """The filename= fallback for old clients: Werkzeug's drops every Chinese character and
    leaves ".png"; the full name still goes in filename*."""
    if item.original_name.isascii():
        return item.original_name
    return f"evidence-{item.id}{PurePath(item.stored_name).suffix}"


def _send(item: Evidence, as_attachment: bool):
    response = files.send(
        item.stored_name,
        mimetype=item.content_type,
        as_attachment=as_attachment,
        download_name=item.original_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    names = {"filename": _ascii_name(item)}
    if not item.original_name.isascii():
        names["filename*"] = "UTF-8''" + quote(item.original_name, safe="!#$&+-.^_`|~")
    response.headers.set(
        "Content-Disposition", "attachment" if as_attachment else "inline", **names
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/evidence/<int:evidence_id>")
def evidence_download(evidence_id: int):
    item = _viewable_evidence(evidence_id)
    try:
        return _send(item, as_attachment=True)
    except FileNotFoundError:
        abort(404)


@bp.get("/evidence/<int:evidence_id>/preview")
def evidence_preview(evidence_id: int):
    """Images only, inline, for the small preview in the claim card."""
    item = _viewable_evidence(evidence_id)
    if item.content_type not in (files.JPEG, files.PNG):
        abort(404)
    try:
        return _send(item, as_attachment=False)
    except FileNotFoundError:
        abort(404)


# --- submission --------------------------------------------------------------------------


@bp.route("/<int:year>/submit", methods=["GET", "POST"])
def submit(year: int):
    declaration = _declaration(year)
    if request.method == "POST":
        service.submit(current_user, declaration)
        flash("申报已提交，请等待核验。提交后申报内容不能再修改或撤销。", "success")
        return _back(declaration)
    if declaration.status is not DeclarationStatus.DRAFT:
        return _back(declaration)
    context = page_context(declaration)
    context["problems"] = service.submission_problems(declaration)
    return render_template("declarations/submit.html", **context)


@bp.post("/<int:year>/resubmit")
def resubmit(year: int):
    declaration = _declaration(year)
    service.resubmit(current_user, declaration)
    flash("已补充材料并重新提交，请等待核验。", "success")
    return _back(declaration)
