"""Cycle verification (学时验证): `verify_cycle` and `rules cycle`, examples and properties."""

import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.rules import (
    CrossMajor,
    CyclePolicy,
    CycleYear,
    RuleError,
    cycle_from_mapping,
    verify_cycle,
)
from portal.rules.cli import rules

A, H = "anhui-2025", "hefei-2021"
MAKEUP = CyclePolicy("makeup")

SPEC_REQUEST = {
    "years": [
        {"year": 2024, "rule_set": H, "general": 30, "professional": 60},
        {"year": 2025, "rule_set": A, "general": 20, "professional": 50},
        {"year": 2026, "rule_set": A, "general": 30, "professional": 80},
    ],
    "policy": {"cramming": "makeup"},
    "cross_major": {"level": "intermediate", "hours": 210},
}
SPEC_OUTPUT = {
    "years": [
        {"year": 2024, "counted_general": 30, "counted_professional": 60, "counted_total": 90,
         "compliant": True},
        {"year": 2025, "counted_general": 20, "counted_professional": 50, "counted_total": 70,
         "compliant": False},
        {"year": 2026, "counted_general": 40, "counted_professional": 70, "counted_total": 110,
         "compliant": True},
    ],
    "average": {"general": 30.0, "professional": 60.0, "total": 90.0},
    "cross_major": {"required": 200, "hours": 210, "ok": True},
    "ok": True,
    "reasons": ["2025年度专业科目差10学时、总学时差20学时，已由2026年度补学"],
}  # fmt: skip


def _runner():
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()


def run(payload):
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return _runner().invoke(rules, ["cycle"], input=text)


def cycle(*rows, start=2025):
    """Years from `start` on: each row (rule set, general, professional)."""
    return [CycleYear(start + i, r, g, p) for i, (r, g, p) in enumerate(rows)]


def test_spec_example_through_the_cli():
    result = run(SPEC_REQUEST)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == SPEC_OUTPUT
    assert result.stderr == ""


def test_spec_example_through_verify_cycle():
    result = verify_cycle(*cycle_from_mapping(SPEC_REQUEST))
    assert result.as_dict() == SPEC_OUTPUT
    y2024, y2025, y2026 = result.years
    assert y2025.short == {"general": 0, "professional": 10, "total": 20}
    assert y2025.made_up == {"general": 0, "professional": 10, "total": 20}
    assert y2026.makes_up == {"general": 0, "professional": 10, "total": 20}
    assert y2026.short == {"general": 0, "professional": 0, "total": 0}
    assert (y2024.requirement.label, y2025.requirement.label) == ("30/60", "90/60")
    assert not y2024.components["total"].own_component
    assert result.required == {"general": 30, "professional": 180, "total": 270}
    assert result.counted == {"general": 30, "professional": 180, "total": 270}


def test_spec_example_under_the_default_cap():
    request = {k: v for k, v in SPEC_REQUEST.items() if k != "policy"}
    out = json.loads(run(request).stdout)
    assert [(y["counted_general"], y["counted_professional"], y["counted_total"])
            for y in out["years"]] == [(30, 60, 90), (20, 50, 70), (30, 80, 110)]  # fmt: skip
    assert out["ok"] and out["reasons"] == []
    assert out["average"] == {"general": 26.7, "professional": 63.3, "total": 90.0}


@pytest.mark.parametrize(
    ("years", "policy", "ok", "counted", "reasons"),
    [
        # A shortfall not made up.
        (cycle((A, 20, 50), (A, 30, 60)), MAKEUP, False,
         [(20, 50, 70), (30, 60, 90)],
         ["任职周期内专业科目计入110学时，未达到规定的120学时（差10学时）",
          "任职周期内总学时计入160学时，未达到规定的180学时（差20学时）"]),
        # Made up in part.
        (cycle((A, 20, 50), (A, 0, 65)), MAKEUP, False,
         [(20, 50, 70), (0, 65, 65)],
         ["2025年度专业科目差10学时、总学时差20学时，2026年度补学专业科目5学时",
          "任职周期内专业科目计入115学时，未达到规定的120学时（差5学时）",
          "任职周期内总学时计入135学时，未达到规定的180学时（差45学时）"]),
        # Only the next year makes up: 2027 cannot make up 2025.
        (cycle((A, 0, 0), (A, 0, 0), (A, 90, 180)), MAKEUP, False,
         [(0, 0, 0), (0, 0, 0), (60, 120, 180)],
         ["2026年度专业科目差60学时、总学时差90学时，已由2027年度补学",
          "任职周期内专业科目计入120学时，未达到规定的180学时（差60学时）",
          "任职周期内总学时计入180学时，未达到规定的270学时（差90学时）"]),
        # The same under the cap: no year counts for more than two.
        (cycle((A, 0, 0), (A, 0, 0), (A, 90, 180)), CyclePolicy(), False,
         [(0, 0, 0), (0, 0, 0), (60, 120, 180)],
         ["2027年度专业科目登记180学时、计入120学时，总学时登记270学时、计入180学时"
          "（不得在一个年度内突击完成，每年最多计入2个年度的规定学时）",
          "任职周期内专业科目计入120学时，未达到规定的180学时（差60学时）",
          "任职周期内总学时计入180学时，未达到规定的270学时（差90学时）"]),
        # With k = 3 the same cycle passes.
        (cycle((A, 0, 0), (A, 0, 0), (A, 90, 180)), CyclePolicy("cap", 3), True,
         [(0, 0, 0), (0, 0, 0), (90, 180, 270)], []),
        # A cap of 1.5 years rounds down.
        (cycle((A, 0, 125), (A, 0, 40)), CyclePolicy("cap", 1.5), False,
         [(35, 90, 125), (0, 40, 40)],
         ["2025年度专业科目登记125学时、计入90学时（不得在一个年度内突击完成，"
          "每年最多计入1.5个年度的规定学时）",
          "任职周期内总学时计入165学时，未达到规定的180学时（差15学时）"]),
        # k = 2 lets one year carry a two-year cycle.
        (cycle((A, 0, 200), (A, 0, 0)), CyclePolicy(), True,
         [(60, 120, 180), (0, 0, 0)],
         ["2025年度专业科目登记200学时、计入120学时，总学时登记200学时、计入180学时"
          "（不得在一个年度内突击完成，每年最多计入2个年度的规定学时）"]),
        (cycle((A, 0, 200), (A, 0, 0)), CyclePolicy("cap", 1), False,
         [(30, 60, 90), (0, 0, 0)], None),
        # hefei-2021 general made up by hefei-2021, and by anhui-2025.
        (cycle((H, 0, 60), (H, 60, 60), start=2023), MAKEUP, True,
         [(0, 60, 60), (60, 60, 120)], ["2023年度公需科目差30学时，已由2024年度补学"]),
        (cycle((H, 0, 60), (A, 60, 60), start=2024), MAKEUP, True,
         [(0, 60, 60), (60, 60, 120)],
         ["2024年度公需科目差30学时、总学时差30学时，已由2025年度补学"]),
        # Under the cap anhui-2025 general hours never stand in for hefei-2021 general.
        (cycle((H, 0, 60), (A, 60, 60), start=2024), CyclePolicy(), False,
         [(0, 60, 60), (60, 60, 120)],
         ["任职周期内公需科目计入0学时，未达到规定的30学时（差30学时）"]),
        # A FULL year is given as 30 and 60.
        (cycle((A, 30, 60)), CyclePolicy(), True, [(30, 60, 90)], []),
        (cycle((A, 0, 0)), MAKEUP, False, [(0, 0, 0)], None),
    ],
)  # fmt: skip
def test_cycle_rules(years, policy, ok, counted, reasons):
    result = verify_cycle(years, policy)
    assert result.ok is ok
    assert [(y.counted_general, y.counted_professional, y.counted_total)
            for y in result.years] == counted  # fmt: skip
    if reasons is not None:
        assert list(result.reasons) == reasons
    if not ok:
        assert result.reasons


def test_hefei_cycle_of_professional_hours_only():
    result = verify_cycle(cycle((H, 0, 120), (H, 60, 0), start=2023))
    # general 0 + 60 >= 60, professional 120 + 0 >= 120, total 120 + 60 >= 180
    assert result.ok
    assert [y.compliant for y in result.years] == [False, False]


def test_compliant_is_the_years_own_before_make_up():
    result = verify_cycle(cycle((A, 20, 50), (A, 30, 80)), MAKEUP)
    assert [y.compliant for y in result.years] == [False, True]
    result = verify_cycle(cycle((H, 20, 100), (A, 20, 100), start=2024))
    assert [y.compliant for y in result.years] == [False, True]


@pytest.mark.parametrize(
    ("level", "hours", "required", "ok"),
    [("senior", 400, 400, True), ("senior", 399, 400, False), ("intermediate", 200, 200, True),
     ("intermediate", 199, 200, False), ("junior", 100, 100, True), ("junior", 0, 100, False)],
)  # fmt: skip
def test_cross_major(level, hours, required, ok):
    result = verify_cycle(cycle((A, 30, 60)), cross_major=CrossMajor(level, hours))
    assert result.cross_major is not None
    assert (result.cross_major.required, result.cross_major.ok, result.ok) == (required, ok, ok)
    if not ok:
        label = {"senior": "高级", "intermediate": "中级", "junior": "初级"}[level]
        assert result.reasons == (
            f"跨专业申报{label}职称需完成所申报专业科目学习{required}学时，"
            f"现有{hours}学时（差{required - hours}学时）",
        )
    assert verify_cycle(cycle((A, 30, 60))).as_dict()["cross_major"] is None


def test_average_rounds_to_one_decimal():
    result = verify_cycle(cycle((A, 0, 100), (A, 0, 0), (A, 0, 0)))
    assert result.average.as_dict() == {"general": 0.0, "professional": 33.3, "total": 33.3}
    result = verify_cycle(cycle((A, 10, 100), (A, 0, 0), (A, 0, 0)))
    assert result.average.as_dict() == {"general": 3.3, "professional": 33.3, "total": 36.7}


Y = {"year": 2025, "rule_set": A, "general": 30, "professional": 60}
BAD = [
    "{oops",
    [],
    {},
    {"years": []},
    {"years": {}},
    {"years": [5]},
    {"years": [{k: v for k, v in Y.items() if k != "year"}]},
    {"years": [{k: v for k, v in Y.items() if k != "rule_set"}]},
    {"years": [{k: v for k, v in Y.items() if k != "general"}]},
    {"years": [{k: v for k, v in Y.items() if k != "professional"}]},
    {"years": [{**Y, "general": -1}]},
    {"years": [{**Y, "professional": 1.5}]},
    {"years": [{**Y, "professional": "60"}]},
    {"years": [{**Y, "general": True}]},
    {"years": [{**Y, "general": None}]},
    {"years": [{**Y, "year": "2025"}]},
    {"years": [{**Y, "rule_set": "mars-2099"}]},
    {"years": [{**Y, "rule_set": 7}]},
    {"years": [{**Y, "year": 2024}]},  # anhui-2025 before 2025
    {"years": [{**Y, "year": 2026}, Y]},  # not ascending
    {"years": [Y, {**Y, "year": 2027}]},  # not consecutive
    {"years": [Y, Y]},  # twice
    {"years": [Y], "policy": {"cramming": "cram"}},
    {"years": [Y], "policy": {"cramming": "cap", "cap_factor": 0.5}},
    {"years": [Y], "policy": {"cramming": "cap", "cap_factor": 0}},
    {"years": [Y], "policy": {"cap_factor": "2"}},
    {"years": [Y], "policy": {"cap_factor": True}},
    {"years": [Y], "policy": "makeup"},
    {"years": [Y], "cross_major": {"level": "expert", "hours": 300}},
    {"years": [Y], "cross_major": {"level": "senior"}},
    {"years": [Y], "cross_major": {"hours": 300}},
    {"years": [Y], "cross_major": {"level": "senior", "hours": -1}},
    {"years": [Y], "cross_major": "senior"},
]


@pytest.mark.parametrize("payload", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_exits_2(payload):
    result = run(payload)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0].removeprefix("错误："))


@pytest.mark.parametrize(
    ("years", "policy", "cross"),
    [
        ([], None, None),
        (cycle((A, 30, 60)) + cycle((A, 30, 60)), None, None),
        (cycle((A, 30, -1)), None, None),
        (cycle((A, 30, 60), start=2024), None, None),
        (cycle((A, 30, 60)), CyclePolicy("cap", 0.99), None),
        (cycle((A, 30, 60)), CyclePolicy("both"), None),
        (cycle((A, 30, 60)), None, CrossMajor("master", 10)),
    ],
)
def test_verify_cycle_refuses_bad_input(years, policy, cross):
    with pytest.raises(RuleError):
        verify_cycle(years, policy, cross)


# --- properties -----------------------------------------------------------------------------

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POLICIES = st.one_of(
    st.just(CyclePolicy("makeup")),
    st.sampled_from([1, 1.5, 2, 3]).map(lambda k: CyclePolicy("cap", k)),
)


@st.composite
def cycles(draw):
    start = draw(st.integers(2020, 2029))
    length = draw(st.integers(1, 6))
    hours = st.integers(0, 200)
    years = []
    for year in range(start, start + length):
        rule_set = draw(st.sampled_from([A, H])) if year >= 2025 else H
        years.append(CycleYear(year, rule_set, draw(hours), draw(hours)))
    return years


@SETTINGS
@given(years=cycles(), policy=POLICIES)
def test_a_cycle_never_passes_with_fewer_hours_than_required(years, policy):
    result = verify_cycle(years, policy)
    n = len(years)
    if result.ok:
        for name in ("general", "professional", "total"):
            assert result.counted[name] >= result.required[name]
        assert sum(y.professional for y in years) >= 60 * n
        assert sum(y.general + y.professional for y in years) >= 90 * n
        hefei = sum(1 for y in years if y.rule_set == H)
        assert sum(y.general for y in years) >= 30 * hefei
    else:
        assert result.reasons
    for year in result.years:
        for component in year.components.values():
            assert 0 <= component.counted <= component.hours
    assert result.average.total == round(sum(y.counted_total for y in result.years) / n, 1)


@SETTINGS
@given(years=cycles())
def test_under_makeup_a_year_counts_at_most_its_requirement_plus_make_up(years):
    result = verify_cycle(years, CyclePolicy("makeup"))
    previous = None
    for year in result.years:
        for name, component in year.components.items():
            if not component.own_component:
                continue
            owed = previous.components[name].short if previous else 0
            assert component.counted <= component.required + owed
            assert component.makes_up <= owed
            if previous:
                assert previous.components[name].made_up == component.makes_up
        if year.components["total"].own_component:
            assert year.counted_professional <= year.requirement.professional + (
                previous.short["professional"] if previous else 0
            )
        previous = year
    assert result.years[-1].made_up == {"general": 0, "professional": 0, "total": 0}


@SETTINGS
@given(years=cycles(), k=st.sampled_from([1, 1.5, 2, 3, 4]))
def test_under_the_cap_a_year_counts_at_most_k_times_its_requirement(years, k):
    result = verify_cycle(years, CyclePolicy("cap", k))
    for year in result.years:
        requirement = year.requirement
        assert year.counted_professional <= math.floor(k * requirement.professional)
        assert year.counted_total <= math.floor(k * 90)
        for component in year.components.values():
            if component.own_component:
                assert component.counted <= math.floor(k * component.required)
                assert component.counted + component.capped == component.hours
