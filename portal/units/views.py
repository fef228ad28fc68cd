"""The bureau's unit pages (bureau officers and admins): list, add, edit, enable or disable;
and the title series with their authorities (the admin keeps them, the bureau reads them)."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.extensions import db
from portal.refusal import Refusal
from portal.security import is_htmx, page_number, require_roles, roles_required
from portal.units import service
from portal.units.forms import AuthorityForm, SeriesForm, UnitForm
from portal.units.models import (
    UNIT_TYPE_LABELS,
    Authority,
    FirstReview,
    TitleSeries,
    Unit,
    UnitType,
)

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
    form = UnitForm(county="", choose_county=current_user.role is Role.ADMIN)
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


# --- title series and authorities: the admin keeps them, the bureau reads them --------------

series_bp = Blueprint("series", __name__, url_prefix="/admin/series")
require_roles(series_bp, Role.ADMIN, Role.BUREAU_OFFICER)


def _series_page(status=200, authority_form=None, series_form=None, edits=None):
    authorities = db.session.scalars(sa.select(Authority).order_by(Authority.name)).all()
    edits = edits or {}
    editable = current_user.role is Role.ADMIN
    if editable:
        for authority in authorities:
            edits.setdefault(
                ("a", authority.id),
                AuthorityForm(formdata=None, prefix=f"a{authority.id}", name=authority.name),
            )
            for series in authority.series:
                edits.setdefault(
                    ("s", series.id),
                    SeriesForm(
                        formdata=None,
                        prefix=f"s{series.id}",
                        name=series.name,
                        authority=str(series.authority_id),
                        first_review=series.first_review.value,
                    ),
                )
    return render_template(
        "units/series.html",
        authorities=authorities,
        editable=editable,
        authority_form=authority_form or (AuthorityForm(formdata=None) if editable else None),
        series_form=series_form or (SeriesForm(formdata=None) if editable else None),
        edits=edits,
    ), status


def _refused_on(form, error: Refusal) -> None:
    if not error.on_form:
        raise error
    getattr(form, error.field or "name").errors.append(error.message)


def _saved(message: str):
    flash(message, "success")
    return redirect(url_for("series.index"), code=303)


@series_bp.get("", endpoint="index")
def series_index():
    return _series_page()


@series_bp.post("/authorities")
@roles_required(Role.ADMIN)
def new_authority():
    form = AuthorityForm()
    if form.validate_on_submit():
        try:
            authority = service.create_authority(current_user, form.name.data)
            return _saved(f"已添加行业主管部门“{authority.name}”。")
        except Refusal as error:
            _refused_on(form, error)
    return _series_page(422, authority_form=form)


@series_bp.post("/authorities/<int:authority_id>")
@roles_required(Role.ADMIN)
def edit_authority(authority_id):
    authority = db.get_or_404(Authority, authority_id)
    form = AuthorityForm(prefix=f"a{authority.id}")
    if form.validate_on_submit():
        try:
            changed = service.rename_authority(current_user, authority, form.name.data)
            return _saved(f"已保存“{authority.name}”。" if changed else "没有修改任何内容。")
        except Refusal as error:
            _refused_on(form, error)
    return _series_page(422, edits={("a", authority.id): form})


@series_bp.post("")
@roles_required(Role.ADMIN)
def new_series():
    form = SeriesForm()
    if form.validate_on_submit():
        try:
            series = service.create_series(
                current_user,
                form.name.data,
                db.session.get(Authority, int(form.authority.data)),
                FirstReview(form.first_review.data),
            )
            return _saved(f"已添加职称系列“{series.name}”。")
        except Refusal as error:
            _refused_on(form, error)
    return _series_page(422, series_form=form)


@series_bp.post("/<int:series_id>")
@roles_required(Role.ADMIN)
def edit_series(series_id):
    series = db.get_or_404(TitleSeries, series_id)
    form = SeriesForm(prefix=f"s{series.id}")
    if form.validate_on_submit():
        try:
            changes = service.update_series(
                current_user,
                series,
                form.name.data,
                db.session.get(Authority, int(form.authority.data)),
                FirstReview(form.first_review.data),
            )
            return _saved(f"已保存“{series.name}”。" if changes else "没有修改任何内容。")
        except Refusal as error:
            _refused_on(form, error)
    return _series_page(422, edits={("s", series.id): form})
