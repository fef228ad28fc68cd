"""Review pages: the queue, one declaration with item-by-item decisions, people to confirm."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts import activation, registrations
from portal.accounts.models import Role
from portal.board.models import Objection
from portal.declarations.models import ClaimDecision
from portal.extensions import db
from portal.jurisdictions import scope
from portal.refusal import Refusal
from portal.review import forms, service
from portal.rules import DETAIL_LABELS, SUBJECT_LABELS, RuleError, get_rule_set
from portal.security import is_htmx, page_number, require_roles
from portal.settings import get_setting

bp = Blueprint("review", __name__, url_prefix="/review")
require_roles(
    bp, Role.UNIT_REVIEWER, Role.BUREAU_OFFICER, Role.AUTHORITY_OFFICER, Role.CITY_OFFICER
)


@bp.context_processor
def rules_labels():
    return {
        "subject_labels": SUBJECT_LABELS,
        "detail_labels": DETAIL_LABELS,
        "evidence_url": evidence_url,
    }


def evidence_url(evidence) -> str:
    return url_for("declarations.evidence_download", evidence_id=evidence.id)


def _rule_set(declaration):
    try:
        return get_rule_set(declaration.rule_set)
    except RuleError:
        return None


@bp.get("/")
def index():
    form = forms.ReviewFilterForm(request.args)
    form.validate()
    year = form.year.data if not form.year.errors else None
    queue = service.review_queue(
        current_user,
        year=year,
        status=form.status.data,
        q=form.q.data or "",
        page=page_number(),
    )
    template = "review/_queue.html" if is_htmx() else "review/index.html"
    return render_template(
        template,
        form=form,
        queue=queue,
        filters={"year": year or "", "status": form.status.data or "", "q": form.q.data or ""},
        held=queue.held,
        two_step=get_setting("TWO_STEP_REVIEW"),
    )


def _show(declaration, claim_forms=None, status=200, **action_forms):
    declared, rule_error = service.declared_result(declaration)
    claim_forms = claim_forms or {}
    for claim in declaration.claims:
        claim_forms.setdefault(claim.id, _claim_form(claim, formdata=None))
    objections = db.session.scalars(
        db.select(Objection).where(Objection.declaration_id == declaration.id)
    ).all()
    context = {
        "declaration": declaration,
        "rule_set": _rule_set(declaration),
        "person": declaration.professional,
        "declared": {r.key: r for r in declared.claims} if declared else {},
        "declared_year": declared,
        "rule_error": rule_error,
        "accepted": _accepted(declaration),
        "claim_forms": claim_forms,
        "duplicates": service.duplicate_warnings(declaration),
        "filing": service.filing_notes(declaration),
        "objections": objections,
        "approve_form": action_forms.get("approve_form") or forms.ApproveForm(formdata=None),
        "reject_form": action_forms.get("reject_form") or forms.RejectForm(formdata=None),
        "evidence_form": action_forms.get("evidence_form")
        or forms.EvidenceRequestForm(formdata=None),
        "pass_form": action_forms.get("pass_form") or forms.ApproveForm(formdata=None),
        "actionable": service.may_act(current_user, declaration),
        "may_decide": _may_decide,
        "step_subject": service.step_subject(declaration),
    }
    return render_template("review/show.html", **context), status


def _may_decide(claim):
    return service.may_decide(current_user, claim)


def _accepted(declaration):
    try:
        return service.accepted_year(declaration)
    except RuleError:  # facts that no longer pass the rule set: shown as rule_error instead
        return None


def _claim_form(claim, formdata=None):
    form = forms.ClaimDecisionForm(formdata=formdata, prefix=f"c{claim.id}", claimed=claim.hours)
    if formdata is None:
        form.decision.data = claim.decision.value if claim.decision else None
        if claim.decision is ClaimDecision.REDUCED:
            form.accepted_hours.data = claim.accepted_hours
        form.reason.data = claim.decision_reason
        form.filed_elsewhere.data = claim.filed_elsewhere
    return form


@bp.get("/<int:declaration_id>")
def show(declaration_id):
    return _show(_declaration(declaration_id))


def _declaration(declaration_id):
    """The declaration, and its county's settings for the rest of the request (a city officer
    reviews declarations of all its counties)."""
    declaration = service.get_declaration(current_user, declaration_id)
    scope.act_for(declaration.jurisdiction_code)
    return declaration


@bp.post("/<int:declaration_id>/claims/<int:claim_id>")
def decide(declaration_id, claim_id):
    claim = service.get_claim(current_user, _declaration(declaration_id).id, claim_id)
    form = _claim_form(claim, formdata=request.form)
    if form.validate():
        try:
            service.decide_claim(
                current_user,
                claim,
                ClaimDecision(form.decision.data),
                form.accepted_hours.data,
                form.reason.data,
                filed_elsewhere=form.filed_elsewhere.data or "",
            )
        except Refusal as error:
            if not error.on_form:
                raise
            field = form.filed_elsewhere if error.field == "filed_elsewhere" else form.decision
            field.errors = [*field.errors, error.message]
    if form.errors:
        if is_htmx():
            return _claim_widget(claim, form, 422)
        return _show(claim.declaration, {claim.id: form}, 422)
    if is_htmx():
        return _claim_widget(claim, _claim_form(claim), 200, saved=True)
    flash("已保存该项认定。", "success")
    return redirect(
        url_for("review.show", declaration_id=declaration_id) + f"#claim-{claim.id}", 303
    )


def _claim_widget(claim, form, status, saved=False):
    declaration = claim.declaration
    declared, _ = service.declared_result(declaration)
    return render_template(
        "review/_claim.html",
        claim=claim,
        rule_set=_rule_set(declaration),
        number=declaration.claims.index(claim) + 1,
        form=form,
        declaration=declaration,
        result=({r.key: r for r in declared.claims} if declared else {}).get(str(claim.id)),
        duplicates=service.duplicate_warnings(declaration),
        filing=service.filing_notes(declaration),
        actionable=service.may_act(current_user, declaration),
        may_decide=_may_decide,
        accepted=_accepted(declaration),
        oob=True,
        saved=saved,
    ), status


def _act(declaration_id, form_class, form_name, action, success):
    declaration = _declaration(declaration_id)
    form = form_class()
    if form.validate_on_submit():
        try:
            action(declaration, form)
        except Refusal as error:
            if not error.on_form:
                raise
            form.form_errors.append(error.message)
        else:
            flash(success, "success")
            return redirect(url_for("review.show", declaration_id=declaration.id), 303)
    return _show(declaration, status=422, **{form_name: form})


@bp.post("/<int:declaration_id>/approve")
def approve(declaration_id):
    return _act(
        declaration_id,
        forms.ApproveForm,
        "approve_form",
        lambda d, f: service.approve(current_user, d, f.note.data or ""),
        "已核验通过，学时按认定结果记录。",
    )


@bp.post("/<int:declaration_id>/pass-professional")
def pass_professional(declaration_id):
    return _act(
        declaration_id,
        forms.ApproveForm,
        "pass_form",
        lambda d, f: service.pass_professional(current_user, d, f.note.data or ""),
        "专业科目已核验通过，转人社局核验公需科目和总学时。",
    )


@bp.post("/<int:declaration_id>/reject")
def reject(declaration_id):
    return _act(
        declaration_id,
        forms.RejectForm,
        "reject_form",
        lambda d, f: service.reject(current_user, d, f.reason.data),
        "已作出不予通过的核验结论。",
    )


@bp.post("/<int:declaration_id>/request-evidence")
def request_evidence(declaration_id):
    return _act(
        declaration_id,
        forms.EvidenceRequestForm,
        "evidence_form",
        lambda d, f: service.request_evidence(current_user, d, f.note.data),
        "已通知申报人补充证明材料。",
    )


@bp.get("/first-steps")
def first_steps():
    """The bureau's list of every first step of a two-step review still waiting."""
    groups = service.first_steps_waiting(current_user)
    return render_template("review/first_steps.html", groups=groups)


@bp.get("/people")
def people():
    return _people_page()


def _people_page(refuse_forms=None, status=200):
    service.require_people_rights(current_user)
    people = service.pending_people(current_user)
    requests = registrations.pending_requests(current_user)
    refuse_forms = refuse_forms or {}
    for key in [f"p{p.id}" for p in people] + [f"r{r.id}" for r in requests]:
        refuse_forms.setdefault(key, forms.RefusePersonForm(formdata=None, prefix=key))
    activation_open = {r.id: activation.may_issue(current_user, r.professional) for r in requests}
    return render_template(
        "review/people.html",
        people=people,
        requests=requests,
        check_note=registrations.CHECK_NOTE,
        activation_open=activation_open,
        confirm_form=forms.ConfirmPersonForm(),
        refuse_forms=refuse_forms,
    ), status


def _confirm(act, done: str):
    """The 确认 button of a 人员确认 row: act, say so (or why not), back to the list."""
    if forms.ConfirmPersonForm().validate_on_submit():
        try:
            act()
            flash(done, "success")
        except Refusal as error:
            flash(str(error), "warning")
    return redirect(url_for("review.people"), 303)


def _refuse(prefix: str, act, done: str):
    """不予确认 on a 人员确认 row: the reason is required; the list again with the error."""
    form = forms.RefusePersonForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            act(form.reason.data)
        except Refusal as error:
            flash(str(error), "warning")
        else:
            flash(done, "success")
        return redirect(url_for("review.people"), 303)
    return _people_page({prefix: form}, 422)


@bp.post("/people/<int:person_id>/confirm")
def confirm_person(person_id):
    service.require_people_rights(current_user)
    person = service.get_person(current_user, person_id)
    return _confirm(
        lambda: service.confirm_person(current_user, person), f"已确认{person.name}的人员信息。"
    )


@bp.post("/people/<int:person_id>/refuse")
def refuse_person(person_id):
    service.require_people_rights(current_user)
    person = service.get_person(current_user, person_id)
    return _refuse(
        f"p{person.id}",
        lambda reason: service.refuse_person(current_user, person, reason),
        f"已不予确认 {person.name}。",
    )


@bp.post("/people/requests/<int:request_id>/confirm")
def confirm_request(request_id):
    service.require_people_rights(current_user)
    held = registrations.get_request(current_user, request_id)
    return _confirm(
        lambda: registrations.confirm(current_user, held),
        f"已核实{held.professional.name}的注册为本人，账号已关联。",
    )


@bp.post("/people/requests/<int:request_id>/refuse")
def refuse_request(request_id):
    service.require_people_rights(current_user)
    held = registrations.get_request(current_user, request_id)
    return _refuse(
        f"r{held.id}",
        lambda reason: registrations.refuse(current_user, held, reason),
        f"已不予确认该注册申请，{held.professional.name}的记录保持不变。",
    )
