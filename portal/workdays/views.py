"""The bureau's working-day calendar: its own days, the year's status and a calculator."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.clock import local_today
from portal.extensions import db
from portal.fields import bounded_int
from portal.refusal import Refusal
from portal.security import is_htmx, require_roles
from portal.workdays import forms, service
from portal.workdays.models import WorkdayOverride

bp = Blueprint("workdays", __name__, url_prefix="/workdays")
require_roles(bp, Role.BUREAU_OFFICER)


def _year() -> int:
    year = request.args.get("year", type=bounded_int)
    return year if year and 2000 <= year <= 2100 else local_today().year


def _page(year, form=None, calc=None, status=200):
    library, known, warning = service.year_status(year)
    calc = calc or forms.CalculatorForm(formdata=None, start=local_today())
    return render_template(
        "workdays/index.html",
        year=year,
        days=service.days_of_year(year),
        library_knows=library,
        known=known,
        warning=warning,
        form=form or forms.WorkdayForm(formdata=None),
        calc=calc,
        result=_calculate(calc) if calc.start.data else None,
        kind_labels=service.KIND_LABELS,
    ), status


def _calculate(calc):
    if calc.errors or calc.n.data is None:
        return None
    return service.add_workdays(calc.start.data, calc.n.data)


@bp.get("/")
def index():
    return _page(_year())


@bp.post("/")
def add():
    form = forms.WorkdayForm()
    if form.validate_on_submit():
        try:
            day = service.add_day(current_user, form.day.data, form.is_workday, form.note.data)
        except Refusal as error:
            form.day.errors.append(error.message)
        else:
            flash(f"已录入 {day.day.isoformat()}。", "success")
            return redirect(url_for("workdays.index", year=day.day.year), 303)
    year = form.day.data.year if form.day.data else _year()
    return _page(year, form=form, status=422)


def _get(override_id) -> WorkdayOverride:
    return db.session.get(WorkdayOverride, override_id) or abort(404)


@bp.route("/<int:override_id>/edit", methods=["GET", "POST"])
def edit(override_id):
    override = _get(override_id)
    form = forms.WorkdayForm(obj=override, kind="work" if override.is_workday else "rest")
    form.day.render_kw = {"readonly": True}
    if form.validate_on_submit():
        service.update_day(current_user, override, form.is_workday, form.note.data)
        flash(f"已修改 {override.day.isoformat()}。", "success")
        return redirect(url_for("workdays.index", year=override.day.year), 303)
    status = 422 if form.errors else 200
    return render_template("workdays/edit.html", form=form, override=override), status


@bp.post("/<int:override_id>/delete")
def delete(override_id):
    override = _get(override_id)
    if forms.DeleteForm().validate_on_submit():
        year = override.day.year
        service.delete_day(current_user, override)
        flash("已删除。", "success")
        return redirect(url_for("workdays.index", year=year), 303)
    abort(400)


@bp.get("/calc")
def calc():
    form = forms.CalculatorForm(request.args)
    form.validate()
    if is_htmx():
        result = _calculate(form)
        return render_template("workdays/_calc.html", calc=form, result=result)
    return _page(_year(), calc=form, status=422 if form.errors else 200)
