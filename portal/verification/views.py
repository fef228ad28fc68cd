"""Verification pages: the officer's open / show / issue, the sheet PDF, the city's
confirmation, the professional's own check (自查) and the public check page."""

from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.accounts.models import Role
from portal.certificates.fonts import FontNotFound, certificate_font
from portal.jurisdictions import scope
from portal.paging import window
from portal.people.service import find_by_id_number
from portal.refusal import Refusal
from portal.review import service as review
from portal.security import page_number, roles_required
from portal.verification import forms, service
from portal.verification.models import Verification, VerificationKind

bp = Blueprint("verification", __name__, url_prefix="/verification")

ISSUERS = (Role.BUREAU_OFFICER, Role.UNIT_REVIEWER)
READERS = (Role.BUREAU_OFFICER, Role.UNIT_REVIEWER, Role.CITY_OFFICER)
YEARLY_SHOWN = 10  # the city officer's longest waiting yearly second steps beside the sheets


@bp.get("/")
@roles_required(*READERS)
def index():
    find = forms.FindPersonForm(request.args)
    if "id_number" in request.args and find.validate():
        try:
            person = find_by_id_number(find.id_number.data)
        except Refusal as error:
            find.id_number.errors.append(error.message)
        else:
            return redirect(url_for(".open", person_id=person.id), 303)
    page = window(
        service.visible(current_user)
        .order_by(Verification.id.desc())
        # each row shows its title series and, once superseded, what superseded it
        .options(joinedload(Verification.series), joinedload(Verification.superseded_by)),
        page_number(),
    )
    yearly = None
    if current_user.role is Role.CITY_OFFICER:  # beside them, the longest waiting second steps
        yearly = review.review_queue(current_user, per_page=YEARLY_SHOWN)
    return render_template(
        "verification/index.html",
        find=find,
        page=page,
        standing=service.standing,
        yearly=yearly,
    )


@bp.route("/people/<int:person_id>/new", methods=["GET", "POST"], endpoint="open")
@roles_required(*ISSUERS)
def open_verification(person_id):
    unit_only = current_user.role is Role.UNIT_REVIEWER
    kinds = {kind.value: kind for kind in VerificationKind}
    kind = kinds.get(request.values.get("kind", ""), VerificationKind.CYCLE)
    if unit_only:
        kind = VerificationKind.INTERNAL
    person = service.person_for(current_user, person_id, kind)
    # Only issuing (POST) needs the token; opening and computing is a GET form.
    meta = {} if request.method == "POST" else {"csrf": False}
    if request.method == "POST" or "first_year" in request.args:
        form = forms.VerificationForm(request.values, meta=meta)
    else:
        form = forms.VerificationForm(
            formdata=None, data=service.form_defaults(person, kind), meta=meta
        )
    if unit_only:  # a unit checks an internal promotion, whatever was asked
        form.kind.choices = [(VerificationKind.INTERNAL.value, VerificationKind.INTERNAL.label)]
        form.kind.data = VerificationKind.INTERNAL.value
    computation, status = None, 200
    if form.validate():
        try:
            computation = service.compute(person, form.to_request())
            sheet = service.sheet_data(computation, form.to_request(), f"经办人{current_user.name}")
            if request.method == "POST":
                issued = service.issue(current_user, person, form.to_request())
                return redirect(url_for(".show", verification_id=issued.id), 303)
        except Refusal as error:
            if not error.on_form:
                raise
            getattr(form, error.field or "first_year").errors.append(error.message)
            status = 422
    elif request.method == "POST" or "first_year" in request.args:
        status = 422
    return render_template(
        "verification/open.html",
        person=person,
        form=form,
        computation=computation,
        sheet=sheet if computation else None,
        current=service.current_of(person, kind),
        policy_text=service.policy_text(service.policy()),
    ), status


def _verification(verification_id):
    """The verification, and its county's settings for the rest of the request (a city
    officer confirms verifications of all its counties)."""
    verification = service.get_verification(current_user, verification_id)
    scope.act_for(verification.jurisdiction_code)
    return verification


@bp.get("/<int:verification_id>")
@roles_required(*READERS)
def show(verification_id):
    verification = _verification(verification_id)
    return render_template(
        "verification/show.html",
        v=verification,
        c=verification.content,
        standing=service.standing(verification),
        return_form=forms.ReturnForm(formdata=None),
    )


@bp.get("/<int:verification_id>/sheet.pdf")
@roles_required(*READERS)
def sheet(verification_id):
    verification = _verification(verification_id)
    try:
        font = certificate_font()
    except FontNotFound:
        return render_template("certificates/font_missing.html"), 503
    response = make_response(service.sheet_pdf(verification, font))
    response.mimetype = "application/pdf"
    name = f"学时验证单-{verification.number}.pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="verification-{verification.number}.pdf"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    return response


@bp.post("/<int:verification_id>/confirm")
@roles_required(Role.CITY_OFFICER)
def confirm(verification_id):
    verification = _verification(verification_id)
    service.confirm(current_user, verification)
    return redirect(url_for(".show", verification_id=verification.id), 303)


@bp.post("/<int:verification_id>/return")
@roles_required(Role.CITY_OFFICER)
def return_to_county(verification_id):
    verification = _verification(verification_id)
    form = forms.ReturnForm()
    if form.validate():
        service.return_to_county(current_user, verification, form.reason.data)
        return redirect(url_for(".show", verification_id=verification.id), 303)
    return render_template(
        "verification/show.html",
        v=verification,
        c=verification.content,
        standing=service.standing(verification),
        return_form=form,
    ), 422


@bp.get("/self")
@roles_required(Role.PROFESSIONAL)
def self_check():
    person = current_user.professional
    if person is None:
        abort(404)
    kind = VerificationKind.CYCLE
    if "first_year" in request.args:
        form = forms.SelfCheckForm(request.args)
    else:
        defaults = service.form_defaults(person, kind)
        defaults.pop("series")
        form = forms.SelfCheckForm(formdata=None, data=defaults)
    computation, status = None, 200
    if form.validate():
        try:
            computation = service.compute(person, form.to_request())
        except Refusal as error:
            form.first_year.errors.append(error.message)
            status = 422
    elif "first_year" in request.args:
        status = 422
    return render_template(
        "verification/self.html",
        person=person,
        form=form,
        computation=computation,
        sheet=service.sheet_data(computation, form.to_request(), "本人") if computation else None,
        policy_text=service.policy_text(service.policy()),
    ), status


@bp.get("/check/<code>")
def check(code):
    verification = service.find_by_code(code)
    if verification is None:
        return render_template("verification/check_missing.html"), 404
    response = make_response(
        render_template("verification/check.html", v=service.public_view(verification))
    )
    response.headers["X-Personal-Data"] = "1"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
