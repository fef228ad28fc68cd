"""Certificates: the professional's own certificate and PDF; the public verification pages."""

from urllib.parse import quote

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

from portal.accounts.models import Role
from portal.audit.service import client_ip
from portal.certificates import service
from portal.certificates.fonts import FontNotFound, certificate_font
from portal.certificates.forms import VerifyForm
from portal.extensions import db
from portal.refusal import Refusal
from portal.security import roles_required

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


@bp.get("/verify")
def verify_form():
    form = VerifyForm(request.args)
    if "code" in request.args:
        if form.validate():
            code = service.normalise_code(form.code.data)
            return redirect(url_for(".verify", code=code), 303)
        return render_template("certificates/verify_form.html", form=form), 422
    return render_template("certificates/verify_form.html", form=form)


@bp.get("/verify/<code>")
def verify(code):
    printed, full = service.lookup(code, client_ip())
    db.session.commit()  # a lookup counts towards the address's limit, found or not
    if printed is None:
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
