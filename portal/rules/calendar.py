"""Working days for publicity periods: chinesecalendar plus the bureau's own entries.

The order of authority for a day: an override the bureau entered (True = working day,
False = rest day); else chinesecalendar's official holidays and make-up working days (调休);
else, for a year the library does not know (it raises NotImplementedError), Saturdays and
Sundays and the fixed-date statutory holidays (1 January, 1–2 May, 1–3 October) are rest days,
and the caller gets a warning to check the year by hand. Never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType

import chinese_calendar

FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
_NO_OVERRIDES: Mapping[date, bool] = MappingProxyType({})


def fallback_warning(year: int) -> str:
    """The Chinese warning shown for a year whose official schedule is missing."""
    return (
        f"{year}年的国家法定节假日安排尚未收录，已按周末及固定日期法定节假日"
        "（1月1日、5月1日至2日、10月1日至3日）计算，请人工核对。"
    )


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def year_known(year: int, overrides: Mapping[date, bool] = _NO_OVERRIDES) -> bool:
    """Whether the year's schedule is known: chinesecalendar has it, or the bureau entered
    days of that year itself (then the bureau is taken to have entered the whole schedule)."""
    return _library_knows(year) or any(day.year == year for day in overrides)


def is_workday(day: date, overrides: Mapping[date, bool] = _NO_OVERRIDES) -> bool:
    if day in overrides:
        return bool(overrides[day])
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def _warnings(years: list[int], overrides: Mapping[date, bool]) -> list[str]:
    seen: list[int] = []
    for year in years:
        if year not in seen:
            seen.append(year)
    return [fallback_warning(y) for y in seen if not year_known(y, overrides)]


def add_workdays(
    start: date, n: int, overrides: Mapping[date, bool] = _NO_OVERRIDES
) -> tuple[date, list[str]]:
    """The n-th working day strictly after `start` (n = 0 gives `start` itself), with a warning
    for each year looked at whose official schedule is missing."""
    if n < 0:
        raise ValueError("工作日天数不能为负数")
    day = start
    years: list[int] = []
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        years.append(day.year)
        if is_workday(day, overrides):
            counted += 1
    return day, _warnings(years, overrides)


def publicity_period(
    start: date, overrides: Mapping[date, bool] = _NO_OVERRIDES, days: int = 5
) -> tuple[date, date, list[str]]:
    """Publicity from S to E holding exactly `days` working days (at least 5 by 004 第十四条).

    S is `start` when it is a working day, else the next working day; E = add_workdays(S, days-1).
    """
    if days < 1:
        raise ValueError("公示期至少为1个工作日")
    years = [start.year]
    first = start
    if not is_workday(start, overrides):
        first, _ = add_workdays(start, 1, overrides)
        years.append(first.year)
    end, _ = add_workdays(first, days - 1, overrides)
    years.extend(range(first.year, end.year + 1))
    return first, end, _warnings(years, overrides)
