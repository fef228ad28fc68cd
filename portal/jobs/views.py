"""A job's page: its progress bar (polled by htmx until it finishes) and its result file."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from portal.jobs import service
from portal.refusal import not_found
from portal.security import is_htmx

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.before_request
@login_required
def _logged_in():
    return None


@bp.get("/<int:job_id>")
def show(job_id):
    job = service.get_job(current_user, job_id)
    template = "jobs/_status.html" if is_htmx() else "jobs/show.html"
    return render_template(template, job=job)


@bp.get("/<int:job_id>/result")
def result(job_id):
    job = service.get_job(current_user, job_id)
    response = service.send_result(job)
    if response is None:
        raise not_found("该任务还没有可下载的结果。")
    return response
