"""Publicity: the public board (/board), objections, and the officers' batch pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.audit.service import client_ip
from portal.board import forms, service
from portal.board.models import Objection, ObjectionStatus, PublicityBatch
from portal.extensions import db
from portal.security import is_htmx, roles_required
from portal.units.models import Unit

bp = Blueprint("board", __name__)
officer_only = roles_required(Role.BUREAU_OFFICER)


@bp.get("/board")
def index():
    today = service.local_today()
    return render_template(
        "board/index.html", shown=service.board_batches(today), today=today, running=service.running
    )


@bp.route("/board/objection/<int:declaration_id>", methods=["GET", "POST"])
def object(declaration_id):
    declaration = service.objectable(declaration_id)
    form = forms.ObjectionForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.raise_objection(
                declaration, form.name.data, form.contact.data, form.content.data, client_ip()
            )
        except service.RateLimited as error:
            form.form_errors.append(str(error))
            status = 429
        else:
            flash("您的异议已提交，我们将依法核查处理。感谢您的监督。", "success")
            return redirect(url_for("board.index"), 303)
    else:
        status = 422 if form.errors else 200
    return render_template("board/objection.html", form=form, declaration=declaration), status


# --- officers -----------------------------------------------------------------------------


def _batches_page(form=None, status=200):
    unit_id = request.args.get("unit", type=int)
    eligible = service.eligible_declarations(unit_id)
    if form is None:
        form = forms.BatchForm(formdata=None, start=service.default_start())
        form.declarations.data = [d.id for d in eligible]
    form.declarations.choices = [(d.id, d.professional.name) for d in eligible]
    start = form.start.data or service.default_start()
    units = db.session.scalars(sa_units()).all()
    return render_template(
        "board/batches.html",
        form=form,
        eligible=eligible,
        units=units,
        unit_id=unit_id,
        period=service.publicity_period(start),
        days=service.publicity_days(),
        batches=service.batches(),
        close_form=forms.CloseForm(),
        open_objections=len(service.objections()),
        today=service.local_today(),
    ), status


def sa_units():
    return db.select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)


@bp.get("/board/batches")
@officer_only
def batches():
    return _batches_page()


@bp.post("/board/batches")
@officer_only
def open_batch():
    form = forms.BatchForm()
    if form.validate_on_submit():
        try:
            batch = service.open_batch(
                current_user, form.declarations.data, form.start.data, form.title.data
            )
        except service.BoardError as error:
            form.form_errors.append(str(error))
        else:
            flash(
                f"已开始公示：{batch.start_date.isoformat()} 至 {batch.end_date.isoformat()}，"
                f"共 {len(batch.declarations)} 份。",
                "success",
            )
            return redirect(url_for("board.batch", batch_id=batch.id), 303)
    return _batches_page(form, 422)


@bp.get("/board/batches/period")
@officer_only
def period():
    form = forms.BatchForm(request.args, meta={"csrf": False})
    start = form.start.data if form.start.validate(form) else None
    period = service.publicity_period(start) if start else None
    template = "board/_period.html" if is_htmx() else "board/period_page.html"
    return render_template(template, period=period, days=service.publicity_days())


@bp.get("/board/batches/<int:batch_id>")
@officer_only
def batch(batch_id):
    batch = db.session.get(PublicityBatch, batch_id) or abort(404)
    return render_template(
        "board/batch.html", batch=batch, running=service.running(batch), today=service.local_today()
    )


@bp.post("/board/close")
@officer_only
def close_due():
    if not forms.CloseForm().validate_on_submit():
        abort(400)
    summary = service.close_due(user=current_user)
    flash(summary.line().split(" / ")[0] + "。", "success")
    return redirect(url_for("board.batches"), 303)


@bp.get("/board/objections")
@officer_only
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
        "board/objections.html", pending=pending, decided=decided, decision_forms=decision_forms
    ), status


@bp.post("/board/objections/<int:objection_id>")
@officer_only
def decide_objection(objection_id):
    objection = db.session.get(Objection, objection_id) or abort(404)
    form = forms.ObjectionDecisionForm(prefix=f"o{objection.id}")
    if form.validate_on_submit():
        try:
            service.decide_objection(current_user, objection, form.outcome.data, form.reason.data)
        except service.BoardError as error:
            form.outcome.errors = [*form.outcome.errors, str(error)]
        else:
            flash("异议已处理。", "success")
            return redirect(url_for("board.objections"), 303)
    return _objections_page((objection.id, form), 422)
