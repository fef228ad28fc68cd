"""Certificates: the professional's own certificate and PDF; the public verification pages."""

from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from portal import pagecache
from portal.accounts.models import Role
from portal.audit.service import client_ip
from portal.certificates import service, tasks
from portal.certificates.fonts import FontNotFound, certificate_font
from portal.certificates.forms import BulkPrintForm, VerifyForm
from portal.clock import current_year
from portal.extensions import db
from portal.refusal import Refusal
from portal.security import roles_required
from portal.storage import service as storage
from portal.units.models import Unit

bp = Blueprint("certificates", __name__)


def _own_person():
    person = current_user.professional
    if person is None:
        abort(404)
    return person


@bp.get("/certificates")
@roles_required(Role.PROFESSIONAL)
def mine():
    person = _own_person()
    return render_template(
        "certificates/mine.html",
        person=person,
        certificate=service.certificate_of(person),
        rows=service.year_rows(service.registered_declarations(person)),
        pending=service.pending_declarations(person),
        display_code=service.display_code,
    )


@bp.post("/certificates/print")
@roles_required(Role.PROFESSIONAL)
def print_pdf():
    person = _own_person()
    try:
        font = certificate_font()
    except FontNotFound:
        return render_template("certificates/font_missing.html"), 503
    try:
        printed = service.print_certificate(current_user, person)
    except Refusal as error:
        if not error.on_form:
            raise
        flash(error.message, "warning")
        return redirect(url_for(".mine"), 303)
    return _pdf_response(service.certificate_pdf(printed, font), printed.certificate.number)


def _pdf_response(pdf: bytes, number: str):
    name = f"学时登记证书-{number}.pdf"
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{number}.pdf"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/certificates/bulk")
@roles_required(Role.UNIT_REVIEWER, Role.BUREAU_OFFICER)
def bulk():
    return render_template(
        "certificates/bulk.html", form=_bulk_form(), jobs=tasks.recent_bulk_jobs(current_user)
    )


@bp.post("/certificates/bulk")
@roles_required(Role.UNIT_REVIEWER, Role.BUREAU_OFFICER)
def bulk_print():
    form = _bulk_form()
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit.data)
        try:
            job = tasks.submit_bulk_print(current_user, unit, form.year.data, request.host_url)
        except Refusal as error:
            if not error.on_form:
                raise
            form.year.errors.append(error.message)
        else:
            return redirect(url_for("jobs.show", job_id=job.id), 303)
    status = 422
    return render_template(
        "certificates/bulk.html", form=form, jobs=tasks.recent_bulk_jobs(current_user)
    ), status


def _bulk_form() -> BulkPrintForm:
    form = BulkPrintForm()
    if current_user.role is Role.UNIT_REVIEWER:
        units = db.session.scalars(sa.select(Unit).where(Unit.id == current_user.unit_id)).all()
    else:
        units = db.session.scalars(sa.select(Unit).order_by(Unit.name)).all()
    form.unit.choices = [(u.id, u.name) for u in units]
    if not form.is_submitted():
        form.year.data = current_year() - 1
    return form


@bp.get("/verify")
def verify_form():
    form = VerifyForm(request.args)
    if "code" in request.args:
        if form.validate():
            code = service.normalise_code(form.code.data)
            return redirect(url_for(".verify", code=code), 303)
        return render_template("certificates/verify_form.html", form=form), 422
    public = not current_user.is_authenticated and not request.cookies
    # public: no CSRF token in the page, which would open a session (and set a cookie)
    page = render_template("certificates/verify_form.html", form=form, public_page=public)
    response = make_response(page)
    if public:
        pagecache.mark_public(response)  # the same bytes for every visitor without a cookie
    return response


@bp.get("/verify/<code>")
def verify(code):
    printed, full = service.lookup(code, client_ip())
    if printed is None:
        # a lookup counts towards the address's limit, found or not (a 404 would roll it back;
        # a page found is committed at the request's end)
        storage.commit_if_possible()
        return render_template("certificates/not_found.html", code=code[:40]), 404
    response = make_response(
        render_template(
            "certificates/verify.html",
            v=service.verification(printed, full),
            bureau=service.bureau_name(),
        )
    )
    response.headers["X-Personal-Data"] = "1"  # no-store, even for visitors
    response.headers["X-Robots-Tag"] = "noindex"
    return response
