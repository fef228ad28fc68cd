"""The bureau officer's publicity pages: open batches, close the periods that are over, decide
objections; and, when the bureau allows it, a unit reviewer's page to publicise its own
people (UNIT_PAGES; the service checks every declaration). The public board is
portal.board.views."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.board import forms, service
from portal.board.models import Objection, ObjectionStatus
from portal.extensions import db
from portal.fields import bounded_int
from portal.jobs import service as jobs
from portal.refusal import Refusal
from portal.security import is_htmx, require_roles

bp = Blueprint("publicity", __name__, url_prefix="/board")
require_roles(bp, Role.BUREAU_OFFICER, Role.UNIT_REVIEWER)
UNIT_PAGES = {
    "publicity.unit_batches",
    "publicity.unit_open_batch",
    "publicity.period",
    "publicity.batch",
}


@bp.before_request
def _units_only_their_pages():
    # The bureau's pages stay the bureau's; a unit's only while the bureau allows it.
    if current_user.role is Role.UNIT_REVIEWER:
        if request.endpoint not in UNIT_PAGES:
            abort(403)
        service.require_publisher(current_user)
    elif request.endpoint in ("publicity.unit_batches", "publicity.unit_open_batch"):
        abort(403)


def _batch_form(**kwargs):
    form = forms.BatchForm(**kwargs)
    form.start.description = (
        f"如不是工作日，自其后第一个工作日起算；公示期共{service.publicity_days()}个工作日"
    )
    return form


TICKS = {
    "met": lambda d: bool(d.compliant),  # the default: the compliant ones
    "all": lambda d: True,
    "none": lambda d: False,
}


def _opening_form(form, eligible):
    """The batch-opening form over the eligible declarations (when first shown the compliant
    ones ticked, or all or none as ?tick= asks) and the publicity period of its start day;
    shared by the bureau's and a unit's page. With nothing eligible the page shows neither
    the start day nor the period: the calendar is not read."""
    if form is None:
        start = service.default_start() if eligible else None
        form = _batch_form(formdata=None, start=start)
        ticked = TICKS.get(request.args.get("tick", ""), TICKS["met"])
        form.declarations.data = [d.id for d in eligible if ticked(d)]
    form.declarations.choices = [(d.id, d.name) for d in eligible]
    if not eligible:
        return form, None
    return form, service.publicity_period(form.start.data or service.default_start())


def _batches_page(form=None, status=200):
    unit_id = request.args.get("unit", type=bounded_int)
    eligible = service.eligible_declarations(unit_id)
    form, period = _opening_form(form, eligible)
    return render_template(
        "publicity/batches.html",
        form=form,
        eligible=eligible,
        units=service.eligible_units(unit_id, listed=eligible),
        unit_id=unit_id,
        period=period,
        days=service.publicity_days(),
        batches=service.batches(),
        close_form=forms.CloseForm(),
        open_objections=service.open_objection_count(),
        today=service.local_today(),
        schedule=jobs.schedule_state(),
    ), status


@bp.get("/batches")
def batches():
    return _batches_page()


def _opened(form):
    """Open the batch the form asks for: the redirect to it, or None with the refusal on the
    form."""
    if not form.validate_on_submit():
        return None
    try:
        batch = service.open_batch(
            current_user, form.declarations.data, form.start.data, form.title.data
        )
    except Refusal as error:
        if not error.on_form:
            raise
        form.form_errors.append(error.message)
        return None
    flash(
        f"已开始公示：{batch.start_date.isoformat()} 至 {batch.end_date.isoformat()}，"
        f"共 {len(batch.declarations)} 份。",
        "success",
    )
    return redirect(url_for("publicity.batch", batch_id=batch.id), 303)


@bp.post("/batches")
def open_batch():
    form = _batch_form()
    return _opened(form) or _batches_page(form, 422)


@bp.get("/batches/period")
def period():
    form = forms.BatchForm(request.args, meta={"csrf": False})
    start = form.start.data if form.start.validate(form) else None
    period = service.publicity_period(start) if start else None
    template = "publicity/_period.html" if is_htmx() else "publicity/period_page.html"
    return render_template(template, period=period, days=service.publicity_days())


def _unit_page(form=None, status=200):
    eligible = service.eligible_declarations(user=current_user)
    form, period = _opening_form(form, eligible)
    return render_template(
        "publicity/unit_batches.html",
        form=form,
        eligible=eligible,
        period=period,
        days=service.publicity_days(),
        batches=service.unit_batches(current_user),
        today=service.local_today(),
    ), status


@bp.get("/unit")
def unit_batches():
    return _unit_page()


@bp.post("/unit")
def unit_open_batch():
    form = _batch_form()
    return _opened(form) or _unit_page(form, 422)


@bp.get("/batches/<int:batch_id>")
def batch(batch_id):
    batch = service.get_batch(current_user, batch_id)
    return render_template(
        "publicity/batch.html",
        batch=batch,
        running=service.running(batch),
        today=service.local_today(),
    )


@bp.post("/close")
def close_due():
    if not forms.CloseForm().validate_on_submit():
        abort(400)
    summary = service.close_due(user=current_user)
    flash(summary.line().split(" / ")[0] + "。", "success")
    return redirect(url_for("publicity.batches"), 303)


@bp.get("/objections")
def objections():
    return _objections_page()


def _objections_page(failed=None, status=200):
    pending = service.objections()
    decision_forms = {
        o.id: forms.ObjectionDecisionForm(formdata=None, prefix=f"o{o.id}") for o in pending
    }
    if failed is not None:
        decision_forms[failed[0]] = failed[1]
    decided = [o for o in service.objections(None) if o.status is not ObjectionStatus.OPEN][:50]
    return render_template(
        "publicity/objections.html",
        pending=pending,
        decided=decided,
        decision_forms=decision_forms,
    ), status


@bp.post("/objections/<int:objection_id>")
def decide_objection(objection_id):
    objection = db.session.get(Objection, objection_id) or abort(404)
    form = forms.ObjectionDecisionForm(prefix=f"o{objection.id}")
    if form.validate_on_submit():
        try:
            service.decide_objection(current_user, objection, form.outcome.data, form.reason.data)
        except Refusal as error:
            if not error.on_form:
                raise
            form.outcome.errors = [*form.outcome.errors, error.message]
        else:
            flash("异议已处理。", "success")
            return redirect(url_for("publicity.objections"), 303)
    return _objections_page((objection.id, form), 422)
