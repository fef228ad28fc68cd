"""The bureau's exchange page: export a year for the provincial system, import a roster; the city
officer's: export the city's counties' years."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.clock import current_year
from portal.exchange import tasks
from portal.exchange.forms import ExportForm, ImportForm
from portal.extensions import db
from portal.jobs.models import Job
from portal.jurisdictions import service as jurisdictions
from portal.refusal import Refusal
from portal.security import require_roles

bp = Blueprint("exchange", __name__, url_prefix="/exchange")
require_roles(bp, Role.BUREAU_OFFICER, Role.CITY_OFFICER)


def _page(export_form=None, import_form=None, status=200):
    recent = db.session.scalars(
        db.select(Job)
        .where(
            Job.kind.in_((tasks.EXPORT_KIND, tasks.IMPORT_KIND)),
            Job.created_by_id == current_user.id,
        )
        .order_by(Job.id.desc())
        .limit(10)
    ).all()
    export_form = export_form or ExportForm(formdata=None, year=current_year() - 1)
    return render_template(
        "exchange/index.html",
        export_form=export_form,
        import_form=import_form or ImportForm(formdata=None),
        jobs=recent,
        city_file=current_user.role is Role.CITY_OFFICER and not jurisdictions.is_single_county(),
    ), status


@bp.get("/")
def index():
    return _page()


@bp.post("/export")
def export():
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(export_form=form, status=422)
    job = tasks.submit_export(current_user, form.year.data, form.fmt.data)
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.post("/import")
def import_people():
    if current_user.role is not Role.BUREAU_OFFICER:
        abort(403)  # a roster is a county's
    form = ImportForm()
    if form.validate_on_submit():
        try:
            job = tasks.submit_import(
                current_user,
                form.file.data.read(),
                form.file.data.filename or "",
                clean_rows=bool(form.clean_rows.data),
            )
        except Refusal as error:
            form.file.errors.append(error.message)
        else:
            return redirect(url_for("jobs.show", job_id=job.id), 303)
    return _page(import_form=form, status=422)
