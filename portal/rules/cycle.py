"""Cycle verification (学时验证): do a tenure cycle's registered hours reach the requirement?

Pure: year records in, a verdict out (`verify_cycle`). The verification pages and
`flask --app portal rules cycle` call the same function. spec/rules.md, "Cycle verification",
which follows seed 003 六(二) and seed 000 五(四) (the province's 皖人社秘〔2019〕157号):
年度继续教育学时平均达到规定学时即可，但不得在一个年度内突击完成最近一个任职周期内所需学时.

Each year has three components, each with a requirement R (what the year adds to the cycle's
sum: the rule set's own requirement) and a yardstick Y (one year's worth, for the cap: the
full year's 30 general, 60 professional, 90 total):

- general: R 30 in hefei-2021, 0 in anhui-2025 (004 asks no 公需 minimum); Y 30;
- professional: R 60, Y 60;
- total: R 90, Y 90. In a hefei-2021 year the total is no component of its own (its
  requirement is its two parts): counted total = counted general + counted professional, and
  its total shortfall (for the next year's make-up) is 90 − own general − own professional.

own = min(h, R), short = R − own, surplus = h − own. Under "cap" (default, k = 2) a component
counts min(h, k × Y): the hours average across the cycle, but no year counts for more than k
years' worth (an anhui-2025 year's 公需 hours count toward the cycle's 公需 sum, up to k × 30).
Under "makeup" (seeds 000 四(一), 001 四: 顺延至下一年度补学) it counts own + min(surplus, the
year before's short of the same component), when the year before is in the cycle.
`counted_general` is the counted general component in every year.

The cycle passes when, for each component, the counted hours summed over the years reach the
summed requirements; when, with two or more years, no single year's counted total reaches the
whole cycle's total requirement (90 × the number of years: that year alone would have
completed the cycle, the cramming the seeds forbid); and when the cross-major hours reach the
level's figure (seed 000 五(二)).

Interpretations (where the spec leaves room):

- Reasons for make-up name the shortfalls of the year before that the next year's
  components could make up, and say how much was made up when it was not all.
- `cap_factor` may be any number >= 1 (e.g. 1.5); k × Y is rounded down to whole hours.
- Hours are non-negative integers; a float with an integral value (30.0) is taken as one.
- A rule set is refused for a year before its first default year (anhui-2025 before 2025) and
  after its last default or electable year (hefei-2021 after 2030: the transition of seed 003
  四(一) ends then).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from portal.rules.model import (
    ANNUAL_GENERAL_OF_FULL,
    ANNUAL_PROFESSIONAL,
    ANNUAL_TOTAL,
    Requirement,
    RuleError,
)
from portal.rules.registry import get_rule_set, rule_set_ids

GENERAL, PROFESSIONAL, TOTAL = "general", "professional", "total"
COMPONENTS = (GENERAL, PROFESSIONAL, TOTAL)
COMPONENT_LABELS = {GENERAL: "公需科目", PROFESSIONAL: "专业科目", TOTAL: "总学时"}

# One year's worth of each component (the yardstick Y of the cap): the full year's figures.
YARDSTICK = {
    GENERAL: ANNUAL_GENERAL_OF_FULL,
    PROFESSIONAL: ANNUAL_PROFESSIONAL,
    TOTAL: ANNUAL_TOTAL,
}

CAP, MAKEUP = "cap", "makeup"
CRAMMING = (CAP, MAKEUP)
DEFAULT_CAP_FACTOR = 2

# The seed sentence each reading applies, printed on the verification sheet.
BASIS = {
    CAP: "专业技术人员在申报职称的最近一个任职周期，年度继续教育学时平均达到规定学时即可，"
    "但不得在一个年度内突击完成最近一个任职周期内所需学时。"
    "（淮人社秘〔2025〕144号 六（二）；皖人社秘〔2019〕157号）",
    MAKEUP: "因故未及时参加学习的，可顺延至下一年度补学，但不得在一个年度内突击完成所需学时。"
    "（合肥市人社局 NO.2021066 四；安徽省地质矿产勘查局2021年通知 四（一））",
}

# Seed 000: a title outside one's degree subject needs these professional hours in the applied
# speciality (申报高、中、初级职称需分别完成 400、200、100 学时).
CROSS_MAJOR_HOURS = {"senior": 400, "intermediate": 200, "junior": 100}
CROSS_MAJOR_LABELS = {"senior": "高级", "intermediate": "中级", "junior": "初级"}


@dataclass(frozen=True)
class CycleYear:
    """One year of the cycle as registered: its rule set and hours (a FULL year: 30 and 60)."""

    year: int
    rule_set: str
    general: int
    professional: int


@dataclass(frozen=True)
class CyclePolicy:
    """The bureau's reading of "不得在一个年度内突击完成": "cap" (k years at most) or "makeup"."""

    cramming: str = CAP
    cap_factor: float = DEFAULT_CAP_FACTOR


@dataclass(frozen=True)
class CrossMajor:
    """A title outside one's degree subject: `level` senior/intermediate/junior, `hours` done."""

    level: str
    hours: int


@dataclass(frozen=True)
class ComponentCount:
    """One requirement component of one year."""

    name: str  # general | professional | total
    required: int  # R
    hours: int  # h, as registered
    own: int  # min(h, R)
    short: int  # R − own (hefei-2021 total: R − own general − own professional)
    surplus: int  # h − own
    counted: int
    made_up: int = 0  # of this year's shortfall, the hours the next year made up
    makes_up: int = 0  # of this year's surplus, the hours counted for the year before
    capped: int = 0  # hours the cap left out
    own_component: bool = True  # False: a hefei-2021 total, the sum of its two parts


@dataclass(frozen=True)
class CycleYearResult:
    year: int
    rule_set: str
    requirement: Requirement
    general: int  # registered
    professional: int  # registered
    counted_general: int
    counted_professional: int
    counted_total: int
    compliant: bool  # the year's own compliance with its registered hours, before make-up
    components: Mapping[str, ComponentCount]

    @property
    def total(self) -> int:
        return self.general + self.professional

    @property
    def short(self) -> dict[str, int]:
        """This year's own shortfall per component (before any make-up)."""
        return {name: c.short for name, c in self.components.items()}

    @property
    def made_up(self) -> dict[str, int]:
        """Of this year's shortfall, the hours the next year made up, per component."""
        return {name: c.made_up for name, c in self.components.items()}

    @property
    def makes_up(self) -> dict[str, int]:
        """Hours of this year counted to make up the year before, per component."""
        return {name: c.makes_up for name, c in self.components.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "counted_general": self.counted_general,
            "counted_professional": self.counted_professional,
            "counted_total": self.counted_total,
            "compliant": self.compliant,
        }


@dataclass(frozen=True)
class CycleAverage:
    general: float
    professional: float
    total: float

    def as_dict(self) -> dict[str, float]:
        return {"general": self.general, "professional": self.professional, "total": self.total}


@dataclass(frozen=True)
class CrossMajorResult:
    level: str
    required: int
    hours: int
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return {"required": self.required, "hours": self.hours, "ok": self.ok}


@dataclass(frozen=True)
class CycleResult:
    """The verdict. `required` and `counted` are the cycle's sums per component."""

    years: tuple[CycleYearResult, ...]
    average: CycleAverage
    required: Mapping[str, int]
    counted: Mapping[str, int]
    cross_major: CrossMajorResult | None
    ok: bool
    reasons: tuple[str, ...]
    policy: CyclePolicy = field(default_factory=CyclePolicy)
    crammed: tuple[int, ...] = ()  # the years that alone reach the cycle's total requirement

    @property
    def basis(self) -> str:
        """The seed sentence this reading applies (printed on the sheet)."""
        return BASIS[self.policy.cramming]

    def as_dict(self) -> dict[str, Any]:
        """The `rules cycle` output object (spec/rules.md)."""
        return {
            "years": [y.as_dict() for y in self.years],
            "average": self.average.as_dict(),
            "cross_major": self.cross_major.as_dict() if self.cross_major else None,
            "ok": self.ok,
            "reasons": list(self.reasons),
        }


# --- validation -----------------------------------------------------------------------------


def _count(value: object, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(f"{where}应为非负整数，收到“{value!r}”")
    if value < 0:
        raise RuleError(f"{where}不能为负数，收到{value}")
    return value


def _check_years(years: Sequence[CycleYear]) -> None:
    if not years:
        raise RuleError("任职周期没有年度（years 为空）")
    seen: set[int] = set()
    for i, item in enumerate(years):
        year = item.year
        if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2100:
            raise RuleError(f"years[{i}] 的 year 应为1949至2100之间的整数年份，收到“{year!r}”")
        if year in seen:
            raise RuleError(f"{year}年度重复出现")
        seen.add(year)
        if i and year != years[i - 1].year + 1:
            raise RuleError(
                f"年度应按升序连续排列：{years[i - 1].year}年度之后应为{years[i - 1].year + 1}"
                f"年度，收到{year}年度"
            )
        if not isinstance(item.rule_set, str):
            raise RuleError(f"{year}年度的规则集 rule_set 应为字符串")
        rule_set = get_rule_set(item.rule_set)
        first, last = rule_set.default_years[0], last_year_of(rule_set.id)
        if first is not None and year < first:
            raise RuleError(f"{year}年度不能适用规则集“{rule_set.id}”（自{first}年度起适用）")
        if last is not None and year > last:
            raise RuleError(
                f"{year}年度不能适用规则集“{rule_set.id}”（适用至{last}年度，过渡期已结束）"
            )
        _count(item.general, f"{year}年度公需科目学时")
        _count(item.professional, f"{year}年度专业科目学时")


def last_year_of(rule_set_id: str) -> int | None:
    """The last year a rule set may be used for: its last default or electable year (None:
    open-ended). hefei-2021: 2030, the end of seed 003's transition."""
    rule_set = get_rule_set(rule_set_id)
    ends = [rule_set.default_years[1]]
    if rule_set.electable_years is not None:
        ends.append(rule_set.electable_years[1])
    if any(end is None for end in ends):
        return None
    return max(e for e in ends if e is not None)


def _check_policy(policy: CyclePolicy) -> None:
    if policy.cramming not in CRAMMING:
        raise RuleError(
            f"cramming 应为 cap（每年最多计入k个年度学时）或 makeup（次年补学），"
            f"收到“{policy.cramming}”"
        )
    k = policy.cap_factor
    if isinstance(k, bool) or not isinstance(k, int | float) or not math.isfinite(k) or k < 1:
        raise RuleError(f"cap_factor 应为不小于1的数，收到“{k!r}”")


def _check_cross_major(cross_major: CrossMajor) -> None:
    if cross_major.level not in CROSS_MAJOR_HOURS:
        raise RuleError(
            f"cross_major 的 level 应为 senior（高级）、intermediate（中级）或 junior（初级），"
            f"收到“{cross_major.level}”"
        )
    _count(cross_major.hours, "跨专业学习学时（cross_major.hours）")


# --- the computation ------------------------------------------------------------------------


def _hours(item: CycleYear) -> dict[str, int]:
    general = _count(item.general, "")
    professional = _count(item.professional, "")
    return {GENERAL: general, PROFESSIONAL: professional, TOTAL: general + professional}


def _required(requirement: Requirement) -> dict[str, int]:
    return {
        GENERAL: requirement.general,
        PROFESSIONAL: requirement.professional,
        TOTAL: requirement.total,
    }


def _year_counts(
    item: CycleYear,
    previous_short: Mapping[str, int] | None,
    policy: CyclePolicy,
) -> dict[str, ComponentCount]:
    requirement = get_rule_set(item.rule_set).requirement
    hours, required = _hours(item), _required(requirement)
    own_total = requirement.total_is_own
    out: dict[str, ComponentCount] = {}
    for name in (GENERAL, PROFESSIONAL):
        out[name] = _component(name, required[name], hours[name], previous_short, policy)
    if own_total:
        out[TOTAL] = _component(TOTAL, required[TOTAL], hours[TOTAL], previous_short, policy)
    else:
        own = out[GENERAL].own + out[PROFESSIONAL].own
        counted = out[GENERAL].counted + out[PROFESSIONAL].counted
        out[TOTAL] = ComponentCount(
            name=TOTAL,
            required=required[TOTAL],
            hours=hours[TOTAL],
            own=own,
            short=max(0, required[TOTAL] - own),
            surplus=hours[TOTAL] - own,
            counted=counted,
            makes_up=out[GENERAL].makes_up + out[PROFESSIONAL].makes_up,
            capped=out[GENERAL].capped + out[PROFESSIONAL].capped,
            own_component=False,
        )
    return out


def _component(
    name: str,
    required: int,
    hours: int,
    previous_short: Mapping[str, int] | None,
    policy: CyclePolicy,
) -> ComponentCount:
    own = min(hours, required)
    short, surplus = required - own, hours - own
    makes_up = capped = 0
    if policy.cramming == CAP:
        counted = min(hours, math.floor(policy.cap_factor * YARDSTICK[name]))
        capped = hours - counted
    else:
        makes_up = min(surplus, previous_short[name]) if previous_short is not None else 0
        counted = own + makes_up
    return ComponentCount(name, required, hours, own, short, surplus, counted, 0, makes_up, capped)


def _parts(component_values: Sequence[tuple[str, int]]) -> str:
    return "、".join(f"{COMPONENT_LABELS[name]}差{value}学时" for name, value in component_values)


def _makeup_reason(year: CycleYearResult, following: CycleYearResult) -> str | None:
    names = [
        n for n in COMPONENTS if year.components[n].short and following.components[n].own_component
    ]
    made = {n: following.components[n].makes_up for n in names}
    if not any(made.values()):
        return None
    shorts = _parts([(n, year.components[n].short) for n in names])
    if all(made[n] == year.components[n].short for n in names):
        return f"{year.year}年度{shorts}，已由{following.year}年度补学"
    done = "、".join(f"{COMPONENT_LABELS[n]}{made[n]}学时" for n in names if made[n])
    return f"{year.year}年度{shorts}，{following.year}年度补学{done}"


def _cap_reason(year: CycleYearResult, policy: CyclePolicy) -> str | None:
    parts = [
        f"{COMPONENT_LABELS[c.name]}登记{c.hours}学时、计入{c.counted}学时"
        for c in year.components.values()
        if c.own_component and c.capped
    ]
    if not parts:
        return None
    k = policy.cap_factor
    shown = int(k) if float(k).is_integer() else k
    return (
        f"{year.year}年度{'，'.join(parts)}（不得在一个年度内突击完成，"
        f"每年最多计入{shown}个年度的学时）"
    )


def verify_cycle(
    years: Sequence[CycleYear],
    policy: CyclePolicy | None = None,
    cross_major: CrossMajor | None = None,
) -> CycleResult:
    """Verify a cycle: `years` ascending and consecutive, each by its own rule set.

    Raises RuleError (one Chinese line) for invalid input: no years, years not ascending and
    consecutive or given twice, negative or non-integer hours, an unknown rule set or one not
    in effect that year (anhui-2025 before 2025, hefei-2021 after 2030), an unknown cramming policy, a cap factor below 1, an unknown
    cross-major level.
    """
    policy = policy or CyclePolicy()
    _check_years(years)
    _check_policy(policy)
    if cross_major is not None:
        _check_cross_major(cross_major)

    counts: list[dict[str, ComponentCount]] = []
    previous_short: Mapping[str, int] | None = None
    for item in years:
        components = _year_counts(item, previous_short, policy)
        if counts:  # what this year made up of the year before
            before = counts[-1]
            for name in COMPONENTS:
                before[name] = replace(before[name], made_up=components[name].makes_up)
        counts.append(components)
        previous_short = {name: c.short for name, c in components.items()}

    results = []
    for item, components in zip(years, counts, strict=True):
        requirement = get_rule_set(item.rule_set).requirement
        results.append(
            CycleYearResult(
                year=item.year,
                rule_set=item.rule_set,
                requirement=requirement,
                general=components[GENERAL].hours,
                professional=components[PROFESSIONAL].hours,
                counted_general=components[GENERAL].counted,
                counted_professional=components[PROFESSIONAL].counted,
                counted_total=components[TOTAL].counted,
                compliant=requirement.met(
                    components[GENERAL].hours, components[PROFESSIONAL].hours
                ),
                components=components,
            )
        )

    required = {n: sum(c[n].required for c in counts) for n in COMPONENTS}
    counted = {n: sum(c[n].counted for c in counts) for n in COMPONENTS}
    n = len(results)
    average = CycleAverage(
        general=round(sum(y.counted_general for y in results) / n, 1),
        professional=round(sum(y.counted_professional for y in results) / n, 1),
        total=round(sum(y.counted_total for y in results) / n, 1),
    )
    cross = None
    if cross_major is not None:
        need = CROSS_MAJOR_HOURS[cross_major.level]
        cross = CrossMajorResult(
            cross_major.level, need, int(cross_major.hours), cross_major.hours >= need
        )

    reasons: list[str] = []
    for i, year in enumerate(results):
        if policy.cramming == MAKEUP and i + 1 < n:
            reason = _makeup_reason(year, results[i + 1])
        elif policy.cramming == CAP:
            reason = _cap_reason(year, policy)
        else:
            reason = None
        if reason:
            reasons.append(reason)
    short_sums = [name for name in COMPONENTS if counted[name] < required[name]]
    for name in short_sums:
        reasons.append(
            f"任职周期内{COMPONENT_LABELS[name]}计入{counted[name]}学时，"
            f"未达到规定的{required[name]}学时（差{required[name] - counted[name]}学时）"
        )
    crammed = [y for y in results if n >= 2 and y.counted_total >= required[TOTAL]]
    for year in crammed:
        reasons.append(
            f"{year.year}年度计入总学时{year.counted_total}学时，单一年度即达到任职周期"
            f"{n}个年度所需的{required[TOTAL]}学时，属于在一个年度内突击完成"
        )
    if cross is not None and not cross.ok:
        reasons.append(
            f"跨专业申报{CROSS_MAJOR_LABELS[cross.level]}职称需完成所申报专业科目学习"
            f"{cross.required}学时，现有{cross.hours}学时（差{cross.required - cross.hours}学时）"
        )
    ok = not short_sums and not crammed and (cross is None or cross.ok)
    return CycleResult(
        years=tuple(results),
        average=average,
        required=required,
        counted=counted,
        cross_major=cross,
        ok=ok,
        reasons=tuple(reasons),
        policy=policy,
        crammed=tuple(y.year for y in crammed),
    )


# --- the request of `rules cycle` -----------------------------------------------------------


def _member(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise RuleError(f"{where}缺少“{key}”")
    return data[key]


def cycle_from_mapping(
    request: Any,
) -> tuple[list[CycleYear], CyclePolicy, CrossMajor | None]:
    """The arguments of `verify_cycle` from a parsed `rules cycle` request; RuleError if bad."""
    if not isinstance(request, Mapping):
        raise RuleError("请求应为JSON对象")
    raw_years = _member(request, "years", "请求")
    if not isinstance(raw_years, list):
        raise RuleError("years 应为数组")
    years = []
    for i, raw in enumerate(raw_years):
        where = f"years[{i}]"
        if not isinstance(raw, Mapping):
            raise RuleError(f"{where} 应为对象（键值对）")
        year = _member(raw, "year", where)
        rule_set = _member(raw, "rule_set", where)
        if not isinstance(rule_set, str):
            raise RuleError(f"{where} 的 rule_set 应为字符串，可用：{'、'.join(rule_set_ids())}")
        label = f"{year}年度" if isinstance(year, int) else where
        general = _count(_member(raw, "general", where), f"{label}公需科目学时（general）")
        professional = _count(
            _member(raw, "professional", where), f"{label}专业科目学时（professional）"
        )
        years.append(CycleYear(year, rule_set, general, professional))

    policy = CyclePolicy()
    raw_policy = request.get("policy")
    if raw_policy is not None:
        if not isinstance(raw_policy, Mapping):
            raise RuleError("policy 应为对象（键值对）")
        policy = CyclePolicy(
            cramming=raw_policy.get("cramming", CAP),
            cap_factor=raw_policy.get("cap_factor", DEFAULT_CAP_FACTOR),
        )

    cross = None
    raw_cross = request.get("cross_major")
    if raw_cross is not None:
        if not isinstance(raw_cross, Mapping):
            raise RuleError("cross_major 应为对象（键值对）")
        level = _member(raw_cross, "level", "cross_major")
        hours = _count(_member(raw_cross, "hours", "cross_major"), "cross_major 的 hours")
        cross = CrossMajor(level if isinstance(level, str) else repr(level), hours)
    return years, policy, cross
