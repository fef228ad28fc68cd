"""The bureau's own calendar days (WorkdayOverride) and the working-day arithmetic on top of
portal.rules.calendar. Operations take the acting user, flush and never commit."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal.audit.service import record
from portal.extensions import db
from portal.jurisdictions import scope
from portal.refusal import CONFLICT, Refusal
from portal.rules import calendar
from portal.workdays.models import WorkdayOverride

KIND_LABELS = {True: "调休上班", False: "法定节假日/休息日"}


def _of_county(county: str | None) -> sa.ColumnElement[bool]:
    """Each county keeps its own calendar: the one named, else the one acted for (the
    officer's, the job's, the record's; scope.home_county)."""
    return WorkdayOverride.jurisdiction_code == (county or scope.home_county())


def overrides(county: str | None = None) -> dict[date, bool]:
    """Every day the bureau entered: True = working day, False = rest day."""
    rows = db.session.execute(
        sa.select(WorkdayOverride.day, WorkdayOverride.is_workday).where(_of_county(county))
    )
    return {day: bool(is_workday) for day, is_workday in rows}


def days_of_year(year: int) -> list[WorkdayOverride]:
    query = (
        sa.select(WorkdayOverride)
        .where(WorkdayOverride.day.between(date(year, 1, 1), date(year, 12, 31)), _of_county(None))
        .order_by(WorkdayOverride.day)
    )
    return list(db.session.scalars(query))


def year_status(year: int) -> tuple[bool, bool, str | None]:
    """(chinesecalendar knows the year, the calendar knows it, the warning when it does not)."""
    library = calendar.year_known(year)
    known = calendar.year_known(year, overrides())
    return library, known, None if known else calendar.fallback_warning(year)


def add_workdays(start: date, n: int) -> tuple[date, list[str]]:
    """The n-th working day strictly after `start`, with the bureau's days taken into account."""
    return calendar.add_workdays(start, n, overrides())


def publicity_period(start: date, days: int) -> tuple[date, date, list[str]]:
    return calendar.publicity_period(start, overrides(), days)


def next_workday(after: date) -> date:
    return add_workdays(after, 1)[0]


def add_day(user, day: date, is_workday: bool, note: str = "") -> WorkdayOverride:
    taken = sa.select(WorkdayOverride.id).where(WorkdayOverride.day == day, _of_county(None))
    if db.session.scalar(taken):
        raise Refusal(f"{day.isoformat()} 已录入，请修改已有记录。", CONFLICT, field="day")
    override = WorkdayOverride(
        day=day, is_workday=is_workday, note=note.strip(), created_by_id=getattr(user, "id", None)
    )
    db.session.add(override)
    db.session.flush()
    record("workday.added", override, user=user, detail=_describe(override))
    return override


def update_day(user, override: WorkdayOverride, is_workday: bool, note: str = ""):
    before = _describe(override)
    override.is_workday, override.note = is_workday, note.strip()
    db.session.flush()
    record("workday.updated", override, user=user, detail=f"{before} → {_describe(override)}")
    return override


def delete_day(user, override: WorkdayOverride) -> None:
    record("workday.deleted", override, user=user, detail=_describe(override))
    db.session.delete(override)
    db.session.flush()


def _describe(override: WorkdayOverride) -> str:
    text = f"{override.day.isoformat()} {KIND_LABELS[override.is_workday]}"
    return f"{text} {override.note}".strip()
