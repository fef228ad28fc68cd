"""The unit reviewer's home: the year's state of the unit's people; one click reminds the short."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.accounts.models import Role
from portal.clock import current_year
from portal.dashboard import service
from portal.security import require_roles

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
require_roles(bp, Role.UNIT_REVIEWER)


class RemindForm(FlaskForm):
    """CSRF only: the year comes with the URL."""


def _year() -> int:
    year = request.values.get("year", type=int) or current_year()
    return year if 2000 <= year <= 2100 else current_year()


@bp.get("/")
def index():
    if current_user.unit_id is None:  # an account not (yet) attached to a unit
        return redirect(url_for("review.index"))
    year = _year()
    return render_template(
        "dashboard/index.html",
        overview=service.unit_overview(current_user, year),
        form=RemindForm(),
        years=range(current_year(), current_year() - 5, -1),
    )


@bp.post("/remind")
def remind():
    if not RemindForm().validate_on_submit():
        abort(400)
    year = _year()
    sent = service.remind_short(current_user, year)
    flash(f"已向 {sent} 名{year}年度学时未达标人员发送提醒。", "success")
    return redirect(url_for("dashboard.index", year=year), 303)
