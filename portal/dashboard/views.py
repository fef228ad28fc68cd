"""The unit reviewer's home: the year's state of the unit's people, a page at a time with the
counts per state; one click reminds everyone short."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import Length, Optional

from portal.accounts.models import Role
from portal.clock import current_year
from portal.dashboard import service
from portal.fields import Select, bounded_int
from portal.security import is_htmx, page_number, require_roles
from portal.spreadsheets import sheet, xlsx_download

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
require_roles(bp, Role.UNIT_REVIEWER)


class RemindForm(FlaskForm):
    """CSRF only: the year comes with the URL."""


class PeopleFilterForm(FlaskForm):
    """The list's filters (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    state = Select(
        "状态", choices=[("", "全部人员"), *service.STATES.items()], validators=[Optional()]
    )
    q = SearchField("姓名", validators=[Optional(), Length(max=50, message="姓名最多50个字")])


def _year() -> int:
    year = request.values.get("year", type=bounded_int) or current_year()
    return year if 2000 <= year <= 2100 else current_year()


@bp.get("/")
def index():
    if current_user.unit_id is None:  # an account not (yet) attached to a unit
        return redirect(url_for("review.index"))
    year = _year()
    form = PeopleFilterForm(request.args)
    valid = form.validate()
    state = form.state.data if not form.state.errors else ""
    q = form.q.data if not form.q.errors else ""
    overview = service.unit_overview(current_user, year, state=state, q=q or "", page=page_number())
    template = "dashboard/_people.html" if is_htmx() else "dashboard/index.html"
    page = render_template(
        template,
        overview=overview,
        form=form,
        filters={"year": year, "state": state or "", "q": q or ""},
        states=service.STATES,
        remind_form=RemindForm(),
        years=range(current_year(), current_year() - 5, -1),
    )
    return page, 200 if valid else 422


@bp.post("/remind")
def remind():
    if not RemindForm().validate_on_submit():
        abort(400)
    year = _year()
    outcome = service.remind_short(current_user, year)
    flash(outcome.summary(year), "warning" if outcome.unreachable else "success")
    return redirect(url_for("dashboard.index", year=year), 303)


@bp.get("/short.xlsx")
def short_export():
    """Who is short of the year, with what each lacks and whether the portal reaches them."""
    year = _year()
    content = sheet(
        f"{year}年度未达标", service.SHORT_COLUMNS, service.short_rows(current_user, year)
    )
    return xlsx_download(content, f"未达标人员-{year}.xlsx")
