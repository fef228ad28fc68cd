"""Working days: chinesecalendar, the bureau's overrides, the fallback for unknown years."""

from datetime import date

import pytest

from portal.rules.calendar import (
    add_workdays,
    fallback_warning,
    is_workday,
    publicity_period,
    year_known,
)


def test_national_day_2025():
    assert add_workdays(date(2025, 9, 26), 5) == (date(2025, 10, 10), [])


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # make-up Sunday
        (date(2025, 10, 11), True),  # make-up Saturday
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 10, 12), False),
        (date(2025, 1, 1), False),
    ],
)
def test_official_calendar(day, working):
    assert is_workday(day) is working


def test_override_wins():
    assert is_workday(date(2025, 10, 1), {date(2025, 10, 1): True})
    assert not is_workday(date(2025, 10, 9), {date(2025, 10, 9): False})
    overrides = {date(2025, 10, 9): False}
    assert add_workdays(date(2025, 9, 26), 5, overrides)[0] == date(2025, 10, 11)


def test_unknown_year_falls_back_with_warning():
    assert not year_known(2027)
    assert year_known(2025)
    end, warnings = add_workdays(date(2027, 9, 29), 3)
    # 30 Sep (1), 1-3 Oct holidays and a weekend, 4 Oct (2), 5 Oct (3).
    assert end == date(2027, 10, 5)
    assert warnings == [fallback_warning(2027)]
    assert warnings[0].startswith("2027年的国家法定节假日安排尚未收录")
    assert "1月1日、5月1日至2日、10月1日至3日" in warnings[0]
    assert is_workday(date(2027, 5, 3))  # an ordinary Monday in the fallback
    assert not is_workday(date(2027, 10, 3))
    assert not is_workday(date(2027, 1, 1))
    assert not is_workday(date(2027, 5, 2))


def test_year_entered_by_bureau_is_known():
    overrides = {date(2027, 10, 4): False}
    assert year_known(2027, overrides)
    end, warnings = add_workdays(date(2027, 9, 29), 3, overrides)
    assert (end, warnings) == (date(2027, 10, 6), [])


def test_warning_for_each_unknown_year_crossed():
    end, warnings = add_workdays(date(2026, 12, 30), 300)
    assert end.year == 2028
    assert warnings == [fallback_warning(2027), fallback_warning(2028)]


def test_zero_and_negative():
    assert add_workdays(date(2025, 10, 1), 0) == (date(2025, 10, 1), [])
    with pytest.raises(ValueError):
        add_workdays(date(2025, 10, 1), -1)


def test_publicity_on_weekend_start():
    assert publicity_period(date(2025, 11, 15)) == (date(2025, 11, 17), date(2025, 11, 21), [])


def test_publicity_on_working_day_and_holiday():
    assert publicity_period(date(2025, 9, 26))[:2] == (date(2025, 9, 26), date(2025, 10, 9))
    # 9, 10, 11 (make-up Saturday), 13, 14 October.
    assert publicity_period(date(2025, 10, 1))[:2] == (date(2025, 10, 9), date(2025, 10, 14))


def test_publicity_into_unknown_year():
    start, end, warnings = publicity_period(date(2026, 12, 28))
    assert start == date(2026, 12, 28)
    assert end == date(2027, 1, 4)  # 1 Jan 2027 is a fixed holiday, 2-3 Jan a weekend
    assert warnings == [fallback_warning(2027)]
