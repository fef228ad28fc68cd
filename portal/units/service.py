"""Units: the choices of a unit select, and the bureau's operations on units (audited with what
changed, before → after). Operations flush, never commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from portal.audit.service import record
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.refusal import INVALID, Refusal
from portal.units.models import (
    UNIT_TYPE_LABELS,
    Authority,
    FirstReview,
    TitleSeries,
    Unit,
    UnitType,
)

if TYPE_CHECKING:
    from portal.accounts.models import User

UNIT_LABELS = {
    "name": "名称",
    "uscc": "统一社会信用代码",
    "type": "类型",
    "county": "县区",
    "authority_id": "行业主管部门",
    "jurisdiction_code": "所属县（市、区）",
}


def active_unit_choices() -> list[tuple[str, str]]:
    """(id as text, name) of every active unit, by name: the choices of a unit select.

    By the database's order of names (code points on SQLite, the collation on PostgreSQL);
    the register page adds a search box for long lists."""
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name).where(Unit.active).order_by(Unit.name, Unit.id)
    )
    return [(str(unit_id), name) for unit_id, name in rows]


def _unit_value(key: str, value) -> str:
    if key == "type":
        return UNIT_TYPE_LABELS[UnitType(value)] if value else ""
    if key == "jurisdiction_code":
        return jurisdictions.get(value).name if jurisdictions.get(value) else str(value)
    if key == "authority_id":
        authority = db.session.get(Authority, value) if value else None
        return authority.name if authority else "（无）"
    return str(value or "")


def create_unit(actor: User, data: dict) -> Unit:
    unit = Unit(**{**data, "type": UnitType(data["type"])})
    db.session.add(unit)
    db.session.flush()
    detail = "；".join(f"{UNIT_LABELS[k]}：{_unit_value(k, v)}" for k, v in data.items())
    record("unit.create", unit, user=actor, detail=detail)
    return unit


def update_unit(actor: User, unit: Unit, data: dict) -> list[str]:
    """Apply the changed fields; returns the "字段：旧 → 新" lines (empty: nothing changed)."""
    changes = []
    for key, value in data.items():
        before = getattr(unit, key)
        if key == "type":
            value = UnitType(value)
        if before != value:
            changes.append(
                f"{UNIT_LABELS[key]}：{_unit_value(key, before)} → {_unit_value(key, value)}"
            )
            setattr(unit, key, value)
    if changes:
        db.session.flush()
        record("unit.update", unit, user=actor, detail="；".join(changes))
    return changes


def set_unit_active(actor: User, unit: Unit, active: bool) -> None:
    if unit.active == active:
        return
    unit.active = active
    db.session.flush()
    record(
        "unit.activate" if active else "unit.deactivate",
        unit,
        user=actor,
        detail=f"{unit.name}：{'停用 → 启用' if active else '启用 → 停用'}",
    )


# --- title series and their authorities (seed 002 annex) ----------------------------------


def _name_taken(model, name: str, own_id: int | None = None) -> bool:
    query = sa.select(model.id).where(model.name == name)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return db.session.scalar(query) is not None


def create_authority(actor: User, name: str) -> Authority:
    if _name_taken(Authority, name):
        raise Refusal("已有同名的行业主管部门。", INVALID, field="name")
    authority = Authority(name=name)
    db.session.add(authority)
    db.session.flush()
    record("authority.create", authority, user=actor, detail=name)
    return authority


def rename_authority(actor: User, authority: Authority, name: str) -> bool:
    if name == authority.name:
        return False
    if _name_taken(Authority, name, authority.id):
        raise Refusal("已有同名的行业主管部门。", INVALID, field="name")
    before, authority.name = authority.name, name
    db.session.flush()
    record("authority.update", authority, user=actor, detail=f"名称：{before} → {name}")
    return True


def create_series(
    actor: User,
    name: str,
    authority: Authority,
    first_review: FirstReview = FirstReview.AUTHORITY,
) -> TitleSeries:
    if _name_taken(TitleSeries, name):
        raise Refusal("已有同名的职称系列。", INVALID, field="name")
    series = TitleSeries(name=name, authority=authority, first_review=first_review)
    db.session.add(series)
    db.session.flush()
    record(
        "series.create",
        series,
        user=actor,
        detail=f"{name}（{authority.name}，专业科目由{first_review.label}核验）",
    )
    return series


def update_series(
    actor: User,
    series: TitleSeries,
    name: str,
    authority: Authority,
    first_review: FirstReview | None = None,
) -> list[str]:
    """Rename the series, give it to another authority or change who checks its professional
    claims first in a two-step review; the "字段：旧 → 新" lines."""
    changes = []
    if name != series.name:
        if _name_taken(TitleSeries, name, series.id):
            raise Refusal("已有同名的职称系列。", INVALID, field="name")
        changes.append(f"名称：{series.name} → {name}")
        series.name = name
    if authority.id != series.authority_id:
        changes.append(f"行业主管部门：{series.authority.name} → {authority.name}")
        series.authority = authority
    if first_review is not None and first_review is not series.first_review:
        changes.append(f"专业科目核验：{series.first_review.label} → {first_review.label}")
        series.first_review = first_review
    if changes:
        db.session.flush()
        record("series.update", series, user=actor, detail="；".join(changes))
    return changes
