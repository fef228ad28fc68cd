"""The bureau's unit pages (bureau officers and admins): list, add, edit, enable or disable."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.extensions import db
from portal.security import is_htmx, page_number, require_roles
from portal.units import service
from portal.units.forms import UnitForm
from portal.units.models import UNIT_TYPE_LABELS, Unit, UnitType

bp = Blueprint("units", __name__, url_prefix="/admin/units")
require_roles(bp, Role.ADMIN, Role.BUREAU_OFFICER)
PER_PAGE = 30


@bp.get("")
def index():
    q = request.args.get("q", "").strip()
    unit_type = request.args.get("type", "")
    query = sa.select(Unit).order_by(Unit.active.desc(), Unit.name)
    if q:
        query = query.where(sa.or_(Unit.name.contains(q), Unit.uscc.contains(q.upper())))
    if unit_type in UnitType.__members__.values():
        query = query.where(Unit.type == UnitType(unit_type))
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    template = "units/_list.html" if is_htmx() else "units/index.html"
    return render_template(template, page=page, q=q, unit_type=unit_type, types=UNIT_TYPE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = UnitForm(county="")
    if form.validate_on_submit():
        unit = service.create_unit(current_user, form.data_for_service())
        flash(f"已添加单位“{unit.name}”。", "success")
        return redirect(url_for("units.index"), code=303)
    return render_template("units/form.html", form=form, unit=None), 422 if form.errors else 200


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
def edit(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    form = UnitForm(
        unit=unit,
        data={
            "name": unit.name,
            "uscc": unit.uscc,
            "type": unit.type.value,
            "county": unit.county,
            "authority": str(unit.authority_id or ""),
        },
    )
    if form.validate_on_submit():
        changes = service.update_unit(current_user, unit, form.data_for_service())
        flash(f"已保存“{unit.name}”。" if changes else "没有修改任何内容。", "success")
        return redirect(url_for("units.index"), code=303)
    return render_template("units/form.html", form=form, unit=unit), 422 if form.errors else 200


@bp.post("/<int:unit_id>/active")
def set_active(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    active = request.form.get("active") == "1"
    service.set_unit_active(current_user, unit, active)
    flash(f"已{'启用' if active else '停用'}单位“{unit.name}”。", "success")
    return redirect(url_for("units.index"), code=303)
