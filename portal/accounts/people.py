"""A person over time: titles held and employment periods. Operations take the acting user,
flush, audit, and never commit.

`Professional.unit_id` is the current unit that the rest of the portal reads; `move` is the one
place that changes it, together with the open employment period, so the two never disagree.
"""

from __future__ import annotations

from datetime import date, timedelta

from portal.accounts.models import Employment, PersonTitle, Professional, User
from portal.audit.service import record
from portal.extensions import db
from portal.refusal import INVALID, Refusal
from portal.units.models import TitleLevel, TitleSeries, Unit


def open_employment(person: Professional) -> Employment | None:
    return next((e for e in person.employments if e.ended_on is None), None)


def move(actor: User, person: Professional, unit: Unit | None, started_on: date) -> Employment:
    """Start an employment period at `unit` (None: freelance) on `started_on`; the open period
    ends the day before, and the person's current unit follows."""
    current = open_employment(person)
    if current is not None and started_on == current.started_on:
        # Corrected on the day it began (e.g. a re-registration): the open period is replaced.
        person.employments.remove(current)
        db.session.flush()
        current = open_employment(person)
    if current is not None:
        if started_on < current.started_on:
            raise Refusal(
                f"新工作经历的开始日期须晚于当前经历的开始日期（{current.started_on:%Y-%m-%d}）。",
                INVALID,
                field="started_on",
            )
        if current.unit_id == (unit.id if unit else None):
            raise Refusal("该人员已在此单位任职，无需变更。", INVALID, field="unit")
        current.ended_on = started_on - timedelta(days=1)
    employment = Employment(professional=person, unit=unit, started_on=started_on)
    db.session.add(employment)
    person.unit = unit
    db.session.flush()
    before = current.unit_name if current else "（无记录）"
    record(
        "person.moved",
        person,
        user=actor,
        detail=f"{before} → {employment.unit_name}，自{started_on:%Y-%m-%d}起",
    )
    return employment


def add_title(
    actor: User,
    person: Professional,
    series: TitleSeries,
    level: TitleLevel,
    obtained: date,
    appointed: date | None = None,
    name: str = "",
) -> PersonTitle:
    if appointed is not None and appointed < obtained:
        raise Refusal("聘任时间不能早于取得时间。", INVALID, field="appointed")
    title = PersonTitle(
        professional=person,
        series=series,
        level=level,
        name=name,
        obtained=obtained,
        appointed=appointed,
    )
    db.session.add(title)
    db.session.flush()
    detail = f"{series.name} {level.label} {name}，取得{obtained:%Y-%m-%d}".replace("  ", " ")
    if appointed:
        detail += f"，聘任{appointed:%Y-%m-%d}"
    record("person.title_added", person, user=actor, detail=detail)
    return title
