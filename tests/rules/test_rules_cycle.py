"""Cycle verification (学时验证): `verify_cycle` and `rules cycle` against spec/rules.md.

Every expected figure is computed by `spec_cycle` below, a literal transcription of the spec's
words ("Cycle verification"), independent of portal.rules.cycle; the tables name the edges.
"""

import json
import math
from dataclasses import dataclass

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
    get_rule_set,
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
        {"year": 2025, "counted_general": 0, "counted_professional": 50, "counted_total": 70,
         "compliant": False},
        {"year": 2026, "counted_general": 0, "counted_professional": 70, "counted_total": 110,
         "compliant": True},
    ],
    "average": {"general": 10.0, "professional": 60.0, "total": 90.0},
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


# --- the spec's words, transcribed ----------------------------------------------------------

COMPONENTS = ("general", "professional", "total")
# "general: R 30 in a hefei-2021 year, R 0 in an anhui-2025 year ...; Y 30;
#  professional: R 60, Y 60; total (general + professional): R 90, Y 90."
R = {H: {"general": 30, "professional": 60, "total": 90},
     A: {"general": 0, "professional": 60, "total": 90}}  # fmt: skip
YARD = {"general": 30, "professional": 60, "total": 90}
CROSS = {"senior": 400, "intermediate": 200, "junior": 100}


@dataclass
class Spec:
    counted: list  # per year (counted_general, counted_professional, counted_total)
    average: dict
    short_sums: dict  # component -> (counted sum, required sum), for sums falling short
    crammed: list  # years whose counted total reaches 90 × n (n >= 2)
    cross_ok: bool | None
    ok: bool
    changed: list  # years the cap or the make-up changed (a reason says so)


def spec_cycle(rows, cramming="cap", k=2, cross=None):
    """rows: [(year, rule_set, general, professional)], ascending and consecutive."""
    counted, changed, prev_short = [], [], None
    for year, rule_set, g, p in rows:
        h = {"general": g, "professional": p, "total": g + p}
        # "own = min(h, R); short = R − own; surplus = h − own"
        own = {c: min(h[c], R[rule_set][c]) for c in COMPONENTS}
        short = {c: R[rule_set][c] - own[c] for c in COMPONENTS}
        surplus = {c: h[c] - own[c] for c in COMPONENTS}
        if cramming == "cap":  # "counted = min(h, k × Y)"
            c_ = {c: min(h[c], math.floor(k * YARD[c])) for c in COMPONENTS}
        else:  # "own + min(surplus, short of the same component in the year before)"
            c_ = {c: own[c] + (min(surplus[c], prev_short[c]) if prev_short else 0)
                  for c in COMPONENTS}  # fmt: skip
        if rule_set == H:  # "counted total = counted general + counted professional"
            c_["total"] = c_["general"] + c_["professional"]
            short["total"] = 90 - own["general"] - own["professional"]
        base = dict(h if cramming == "cap" else own)  # what the year counts unchanged
        if rule_set == H:
            base["total"] = base["general"] + base["professional"]
        if any(c_[c] != base[c] for c in COMPONENTS):
            changed.append(year if cramming == "cap" else year - 1)
        counted.append((c_["general"], c_["professional"], c_["total"]))
        prev_short = short
    n = len(rows)
    sums = dict(zip(COMPONENTS, (sum(col) for col in zip(*counted, strict=True)), strict=True))
    required = {c: sum(R[r[1]][c] for r in rows) for c in COMPONENTS}
    short_sums = {c: (sums[c], required[c]) for c in COMPONENTS if sums[c] < required[c]}
    # "no single year's counted total reaches the whole cycle's total requirement (90 × n)"
    crammed = [r[0] for r, c in zip(rows, counted, strict=True) if n >= 2 and c[2] >= 90 * n]
    cross_ok = None if cross is None else cross[1] >= CROSS[cross[0]]
    return Spec(
        counted=counted,
        average={c: round(sums[c] / n, 1) for c in COMPONENTS},
        short_sums=short_sums,
        crammed=crammed,
        cross_ok=cross_ok,
        ok=not short_sums and not crammed and cross_ok is not False,
        changed=changed,
    )


def rows_of(years):
    return [(y.year, y.rule_set, y.general, y.professional) for y in years]


def check_against_spec(years, policy=None, cross=None):
    policy = policy or CyclePolicy()
    result = verify_cycle(years, policy, cross)
    spec = spec_cycle(rows_of(years), policy.cramming, policy.cap_factor,
                      (cross.level, cross.hours) if cross else None)  # fmt: skip
    assert [(y.counted_general, y.counted_professional, y.counted_total)
            for y in result.years] == spec.counted  # fmt: skip
    assert result.average.as_dict() == spec.average
    assert result.ok is spec.ok
    assert list(result.crammed) == spec.crammed
    for name, (got, need) in spec.short_sums.items():
        label = {"general": "公需科目", "professional": "专业科目", "total": "总学时"}[name]
        assert f"任职周期内{label}计入{got}学时，未达到规定的{need}学时（差{need - got}学时）" in (
            result.reasons
        )
    for year in spec.crammed:
        assert any(r.startswith(f"{year}年度") and "突击完成" in r for r in result.reasons)
    # one reason for each short sum, crammed year, failed cross-major, changed year
    expected = len(spec.short_sums) + len(spec.crammed) + (spec.cross_ok is False)
    assert len(result.reasons) == expected + len(set(spec.changed))
    for year in set(spec.changed):
        assert any(r.startswith(f"{year}年度") for r in result.reasons)
    if not spec.ok:
        assert result.reasons
    for y, row in zip(result.years, years, strict=True):
        assert y.compliant is get_rule_set(row.rule_set).requirement.met(
            row.general, row.professional
        )
    return result, spec


def test_spec_example_through_the_cli():
    result = run(SPEC_REQUEST)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == SPEC_OUTPUT
    assert result.stderr == ""


def test_spec_example_is_the_spec_words():
    years, policy, cross = cycle_from_mapping(SPEC_REQUEST)
    result, spec = check_against_spec(years, policy, cross)
    assert result.as_dict() == SPEC_OUTPUT
    assert spec.counted == [(y["counted_general"], y["counted_professional"], y["counted_total"])
                            for y in SPEC_OUTPUT["years"]]  # fmt: skip
    y2024, y2025, y2026 = result.years
    assert y2025.short == {"general": 0, "professional": 10, "total": 20}
    assert y2026.makes_up == {"general": 0, "professional": 10, "total": 20}
    assert result.required == {"general": 30, "professional": 180, "total": 270}


MAKEUP_K = CyclePolicy("makeup")
CAP = CyclePolicy()
# (label, years, policy, ok): every expected figure comes from spec_cycle; `ok` says what the
# spec's words give, for the reader.
CASES = [
    # Issue 21: professional 60 / 100 / 20 average 60 — passes on the average.
    ("average-passes", cycle((A, 30, 60), (A, 30, 100), (A, 30, 20)), CAP, True),
    ("average-short-by-one", cycle((A, 30, 60), (A, 30, 100), (A, 30, 19)), CAP, False),
    # Issue 21: averages exactly 30 / 60 / 90 over 2021–2025; anhui 公需 counts toward 公需.
    ("anhui-general-counts", cycle((H, 25, 60), (H, 25, 60), (H, 25, 60), (H, 25, 60),
                                   (A, 50, 60), start=2021), CAP, True),
    ("anhui-general-capped-at-60", cycle((H, 0, 60), (H, 0, 60), (A, 61, 90), start=2023),
     CAP, True),
    ("anhui-general-cap-short", cycle((H, 0, 60), (H, 0, 60), (H, 0, 60), (A, 90, 60),
                                      start=2022), CAP, False),
    # The cap: exactly k × Y counts, one more does not.
    ("cap-professional-120", cycle((A, 30, 120), (A, 30, 0), (A, 30, 60)), CAP, True),
    ("cap-professional-121", cycle((A, 30, 121), (A, 30, 0), (A, 30, 59)), CAP, False),
    ("cap-total-180", cycle((A, 60, 120), (A, 0, 60), (A, 0, 0)), CAP, False),
    ("cap-hefei-general-60", cycle((H, 60, 60), (H, 0, 60), start=2023), CAP, True),
    ("cap-hefei-general-61", cycle((H, 61, 60), (H, 0, 60), start=2023), CAP, True),
    ("cap-hefei-total-is-parts", cycle((H, 70, 130), (H, 0, 0), (H, 20, 50), start=2022),
     CAP, False),
    ("cap-k3", cycle((A, 0, 0), (A, 0, 0), (A, 90, 180)), CyclePolicy("cap", 3), False),
    ("cap-k1.5", cycle((A, 0, 125), (A, 0, 40)), CyclePolicy("cap", 1.5), False),
    ("cap-k1", cycle((A, 30, 90), (A, 30, 60)), CyclePolicy("cap", 1), True),
    # Cramming: a year that alone reaches 90 × n (only possible in 2 years with k = 2).
    ("cram-2-years-180", cycle((A, 0, 0), (A, 60, 120)), CAP, False),
    ("cram-2-years-179", cycle((A, 1, 0), (A, 59, 120)), CAP, True),
    ("no-cram-2-years-balanced", cycle((A, 30, 60), (A, 30, 60)), CAP, True),
    ("cram-2-years-hefei", cycle((H, 60, 120), (H, 0, 0), start=2023), CAP, False),
    ("cram-k3-3-years", cycle((A, 0, 0), (A, 0, 0), (A, 90, 180)), CyclePolicy("cap", 3), False),
    ("one-year-is-no-cramming", cycle((A, 90, 180)), CAP, True),
    ("cram-under-makeup", cycle((A, 0, 0), (A, 90, 180)), MAKEUP_K, False),
    # Make-up: the next year only, the same component.
    ("makeup-next-year", cycle((A, 20, 50), (A, 30, 80)), MAKEUP_K, True),
    ("makeup-in-part", cycle((A, 20, 50), (A, 0, 65)), MAKEUP_K, False),
    ("makeup-not-two-years-later", cycle((A, 0, 0), (A, 0, 0), (A, 90, 180)), MAKEUP_K, False),
    ("makeup-hefei-by-hefei", cycle((H, 0, 60), (H, 60, 60), start=2023), MAKEUP_K, True),
    ("makeup-hefei-by-anhui", cycle((H, 0, 60), (A, 60, 60), start=2024), MAKEUP_K, True),
    ("makeup-hefei-total", cycle((H, 10, 40), (A, 20, 120), start=2024), MAKEUP_K, True),
    ("makeup-no-credit-without-need", cycle((A, 90, 90), (A, 0, 60)), MAKEUP_K, False),
    ("makeup-first-year-short", cycle((A, 0, 0)), MAKEUP_K, False),
    # FULL years (30 + 60), hefei years in the transition.
    ("full-years", cycle((A, 30, 60), (A, 30, 60), (A, 30, 60)), CAP, True),
    ("hefei-2030", cycle((H, 30, 60), start=2030), CAP, True),
    ("hefei-general-on-average", cycle((H, 29, 60), (H, 31, 60), start=2023), CAP, True),
    ("hefei-general-sum-short", cycle((H, 29, 70), (H, 30, 70), start=2023), CAP, False),
    ("hefei-professional-not-general", cycle((H, 0, 120), (H, 60, 0), start=2023), CAP, True),
]  # fmt: skip


@pytest.mark.parametrize(("years", "policy", "ok"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_cycle_follows_the_spec(years, policy, ok):
    result, spec = check_against_spec(years, policy)
    assert spec.ok is ok  # the table's reading of the spec
    assert result.ok is ok


def test_the_demo_readings_of_issue_21():
    # 60 / 100 / 20 professional: 未通过 under the next-year make-up, 通过 on the average.
    years = cycle((A, 30, 60), (A, 30, 100), (A, 30, 20))
    assert verify_cycle(years).ok
    assert not verify_cycle(years, MAKEUP_K).ok


def test_anhui_general_hours_count_up_to_k_times_30():
    for hours in (0, 1, 59, 60, 61, 200):
        result = verify_cycle(cycle((A, hours, 60)))
        assert result.years[0].counted_general == min(hours, 2 * 30)
        result = verify_cycle(cycle((A, hours, 60)), MAKEUP_K)
        assert result.years[0].counted_general == 0  # own 0, nothing to make up


def test_counted_general_is_the_general_component_in_every_year():
    for policy in (CAP, MAKEUP_K, CyclePolicy("cap", 1)):
        result = verify_cycle(cycle((H, 10, 100), (A, 40, 100), (A, 5, 70), start=2024), policy)
        for year in result.years:
            assert year.counted_general == year.components["general"].counted


def test_a_crammed_cycle_names_its_year():
    result = verify_cycle(cycle((A, 0, 0), (A, 60, 120)))
    assert not result.ok and result.crammed == (2026,)
    assert "2026年度计入总学时180学时，单一年度即达到任职周期2个年度所需的180学时，" \
           "属于在一个年度内突击完成" in result.reasons  # fmt: skip


def test_the_sheet_prints_the_seed_sentence_it_applied():
    assert "年度继续教育学时平均达到规定学时即可" in verify_cycle(cycle((A, 30, 60))).basis
    assert "顺延至下一年度补学" in verify_cycle(cycle((A, 30, 60)), MAKEUP_K).basis


def test_compliant_is_the_years_own_before_make_up():
    result = verify_cycle(cycle((A, 20, 50), (A, 30, 80)), MAKEUP_K)
    assert [y.compliant for y in result.years] == [False, True]
    result = verify_cycle(cycle((H, 20, 100), (A, 20, 100), start=2024))
    assert [y.compliant for y in result.years] == [False, True]


@pytest.mark.parametrize(
    ("level", "hours"),
    [("senior", 400), ("senior", 399), ("intermediate", 200), ("intermediate", 199),
     ("junior", 100), ("junior", 99), ("junior", 0)],
)  # fmt: skip
def test_cross_major(level, hours):
    years = cycle((A, 30, 60))
    result, spec = check_against_spec(years, CAP, CrossMajor(level, hours))
    assert result.cross_major.required == CROSS[level]
    assert result.cross_major.ok is spec.cross_ok is (hours >= CROSS[level])
    if not spec.cross_ok:
        label = {"senior": "高级", "intermediate": "中级", "junior": "初级"}[level]
        assert result.reasons == (
            f"跨专业申报{label}职称需完成所申报专业科目学习{CROSS[level]}学时，"
            f"现有{hours}学时（差{CROSS[level] - hours}学时）",
        )
    assert verify_cycle(years).as_dict()["cross_major"] is None


def test_average_rounds_to_one_decimal():
    for years in (
        cycle((A, 0, 100), (A, 0, 0), (A, 0, 0)),
        cycle((A, 10, 100), (A, 0, 0), (A, 0, 0)),
    ):
        check_against_spec(years)


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
    {"years": [{**Y, "rule_set": H, "year": 2031}]},  # hefei-2021 after the transition
    {"years": [{**Y, "rule_set": H, "year": 2030}, {**Y, "year": 2031, "rule_set": H}]},
    {"years": [{**Y, "year": 1948}]},
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
        (cycle((H, 30, 60), start=2031), None, None),
        (cycle((A, 30, 60)), CyclePolicy("cap", 0.99), None),
        (cycle((A, 30, 60)), CyclePolicy("both"), None),
        (cycle((A, 30, 60)), None, CrossMajor("master", 10)),
    ],
)
def test_verify_cycle_refuses_bad_input(years, policy, cross):
    with pytest.raises(RuleError):
        verify_cycle(years, policy, cross)


# --- properties -----------------------------------------------------------------------------

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    for year in range(start, min(start + length, 2031)):
        rule_set = draw(st.sampled_from([A, H])) if year >= 2025 else H
        years.append(CycleYear(year, rule_set, draw(hours), draw(hours)))
    return years


@SETTINGS
@given(years=cycles(), policy=POLICIES)
def test_every_cycle_follows_the_spec_words(years, policy):
    check_against_spec(years, policy)


@SETTINGS
@given(years=cycles(), policy=POLICIES)
def test_a_cycle_never_passes_with_fewer_hours_than_required(years, policy):
    result = verify_cycle(years, policy)
    n = len(years)
    if result.ok:
        assert sum(y.professional for y in years) >= 60 * n
        assert sum(y.general + y.professional for y in years) >= 90 * n
        assert all(y.counted_total < 90 * n for y in result.years) or n == 1
    for year in result.years:
        for component in year.components.values():
            assert 0 <= component.counted <= component.hours
