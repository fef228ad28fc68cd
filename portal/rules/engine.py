"""Evaluating claims and years against a rule set.

Interpretations kept from spec/rules.md (and the sources, 004 第十二条, 第二十一条; 001 附件3):

- anhui-2025 (一): "一等奖以上获奖人" names every awardee while the lower grades name the
  "第一获奖人", so the rank reduction of 3 hours applies to the second and third grades only;
  a national second grade's first awardee earns the full year, the k-th 90 − 3(k−1).
- anhui-2025 (五): "分别" runs over the three levels (ministry, province, city), not over ranks;
  an uncompleted project earns 0 with reason "not_completed".
- Hours never go below 0; a claim earning 0 does not count (reason "zero").
- A full-year claim (视同完成年度全部学时) earns 90 hours; when it counts the year is reported as
  30 general + 60 professional + 90 total and is compliant by itself. Other claims that count
  beside it stay counted but add nothing to those figures.
- Highest-only (第二十一条4, anhui-2025): of the year's conversion claims (clauses 一–十一) only
  the one earning most hours counts; ties go to the earliest entered. A full-year claim outranks
  a plain 90-hour claim, since only it completes the whole year.
- Yearly caps (general courseware 30 in anhui-2025; self_study 36 in hefei-2021) are filled in
  the order the claims were entered; the claim that crosses the cap counts with the part that
  fits (reason "cap"), later ones not at all.
- The same work (paper, book, patent, award, certificate) counts once: among claims of the same
  `work` group whose identifying details are equal (compared without case, spaces or
  punctuation), the one earning most hours counts, the others get reason "duplicate". A caller
  that knows the work was counted elsewhere sets `Claim.duplicate`.
- Professional hours above 60 count toward the total; general hours never count as
  professional: compliant when professional >= 60 and general + professional >= 90.
- hefei-2021: everything accumulates (no highest-only). Subjects: public_course is general;
  medical_credit (继续医学教育学分) is professional; trainings, degree courses and teacher
  trainings take the subject of the training itself (given by the caller, like courseware);
  for achievements, exams, conferences and self-study the person chooses. A `year` fact
  (aid, qualification: 72 hours before 2016) defaults to the declaration year when omitted.
- A claim without a subject gets its kind's default subject (professional unless the kind is
  fixed), unless the caller passes `require_subject=True` (e.g. on submission).
- Facts a kind does not define are ignored; "" and None count as not given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portal.rules import formulas
from portal.rules.model import (
    ANNUAL_GENERAL_OF_FULL,
    ANNUAL_PROFESSIONAL,
    ANNUAL_TOTAL,
    GENERAL,
    PROFESSIONAL,
    REASON_CAP,
    REASON_DUPLICATE,
    REASON_HIGHEST_ONLY,
    REASON_ZERO,
    SUBJECT_LABELS,
    Claim,
    ClaimResult,
    FactSpec,
    KindSpec,
    RuleError,
    RuleSet,
    YearResult,
)

_TRUE = {"true", "yes", "y", "1", "on", "是", "t"}
_FALSE = {"false", "no", "n", "0", "off", "否", "f"}
_SUBJECT_ALIASES = {
    GENERAL: GENERAL,
    "公需": GENERAL,
    "公需科目": GENERAL,
    "公需课": GENERAL,
    PROFESSIONAL: PROFESSIONAL,
    "专业": PROFESSIONAL,
    "专业科目": PROFESSIONAL,
}
_INT = re.compile(r"[+-]?\d+")


def _fact_error(spec: FactSpec, message: str) -> RuleError:
    return RuleError(message, fact=spec.name, fact_label=spec.label)


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:40] + "…"


def _parse_int(spec: FactSpec, value: object) -> int:
    if isinstance(value, bool):
        raise _fact_error(spec, f"应填写整数，收到布尔值“{_shown(value)}”")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise _fact_error(spec, f"应填写整数，收到“{_shown(value)}”")
    if spec.min is not None and number < spec.min:
        raise _fact_error(spec, f"不能小于{spec.min}，收到{number}")
    if spec.max is not None and number > spec.max:
        raise _fact_error(spec, f"不能大于{spec.max}，收到{number}")
    return number


def _parse_choice(spec: FactSpec, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fact_error(spec, f"取值“{_shown(value)}”无效")
    text = str(value).strip()
    for choice, label in spec.choices:
        if text in (choice, label):
            return choice
    options = "、".join(f"{v}（{label}）" for v, label in spec.choices)
    raise _fact_error(spec, f"不存在的取值“{_shown(text)}”，可选：{options}")


def _parse_bool(spec: FactSpec, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise _fact_error(spec, f"应为“是”或“否”，收到“{_shown(value)}”")


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _kind_of(rule_set: RuleSet, claim: Claim) -> KindSpec:
    if not isinstance(claim.kind, str) or not claim.kind:
        raise RuleError("缺少申报类别", fact="kind", fact_label="申报类别")
    if claim.kind not in rule_set.kinds:
        raise RuleError(
            f"规则集“{rule_set.id}”中没有申报类别“{_shown(claim.kind)}”",
            fact="kind",
            fact_label="申报类别",
        )
    return rule_set.kinds[claim.kind]


def validate_facts(
    rule_set: RuleSet, claim: Claim, *, year: int | None = None
) -> dict[str, object]:
    """The claim's facts normalised (ints from "3", bools from "y"/"true"/"1"/"on").

    Raises RuleError naming the fact's label for a missing required fact or an impossible value.
    A missing `year` fact takes `year` (the declaration year) when given.
    """
    kind = _kind_of(rule_set, claim)
    given = claim.facts if isinstance(claim.facts, Mapping) else None
    if given is None:
        raise RuleError("facts 应为对象（键值对）", fact="facts", fact_label="事实项")
    facts: dict[str, object] = {}
    for spec in kind.facts:
        value = given.get(spec.name)
        if _absent(value) and spec.name == "year" and year is not None:
            value = year
        if _absent(value):
            if spec.required:
                raise _fact_error(spec, f"请填写“{spec.label}”")
            facts[spec.name] = spec.default
            continue
        if spec.type == "int":
            facts[spec.name] = _parse_int(spec, value)
        elif spec.type == "choice":
            facts[spec.name] = _parse_choice(spec, value)
        else:
            facts[spec.name] = _parse_bool(spec, value)
    return facts


def _subject(kind: KindSpec, claim: Claim, require: bool) -> tuple[str, bool]:
    raw = claim.subject
    if _absent(raw):
        if kind.subject is None and require:
            raise RuleError(
                "请选择认定科目（公需科目或专业科目）", fact="subject", fact_label="科目"
            )
        return (kind.subject or kind.default_subject or PROFESSIONAL, kind.subject is None)
    subject = _SUBJECT_ALIASES.get(raw.strip()) if isinstance(raw, str) else None
    if subject is None:
        raise RuleError(
            f"科目应为 general（公需科目）或 professional（专业科目），收到“{_shown(raw)}”",
            fact="subject",
            fact_label="科目",
        )
    if kind.subject is not None and subject != kind.subject:
        raise RuleError(
            f"“{kind.label}”只能认定为{SUBJECT_LABELS[kind.subject]}",
            fact="subject",
            fact_label="科目",
        )
    return (subject, False)


@dataclass
class _Row:
    index: int
    claim: Claim
    kind: KindSpec
    facts: dict[str, object]
    subject: str
    subject_defaulted: bool
    outcome: formulas.Outcome
    reason: str | None = None
    reason_text: str = ""
    counted_hours: int = 0

    @property
    def rank(self) -> tuple[int, bool]:
        return (self.outcome.hours, self.outcome.full_year)


def _prepare(
    rule_set: RuleSet, claim: Claim, index: int | None, year: int | None, require_subject: bool
) -> _Row:
    try:
        if not isinstance(claim, Claim):
            raise RuleError("申报条目格式无效")
        kind = _kind_of(rule_set, claim)
        facts = validate_facts(rule_set, claim, year=year)
        subject, defaulted = _subject(kind, claim, require_subject)
        outcome = formulas.evaluate(kind.formula, facts, {f.name: f for f in kind.facts})
    except RuleError as error:
        kind_id = claim.kind if isinstance(claim, Claim) and isinstance(claim.kind, str) else None
        if index is None:
            raise RuleError(
                error.message, fact=error.fact, kind=kind_id, fact_label=error.fact_label
            ) from None
        raise error.located(index, kind_id) from None
    return _Row(
        index or 0, claim, kind, facts, subject, defaulted, outcome, counted_hours=outcome.hours
    )


def _identity(row: _Row) -> tuple[str, ...] | None:
    if not row.kind.identity:
        return None
    details = row.claim.details or {}
    values = []
    for key in row.kind.identity:
        value = details.get(key)
        normalised = "".join(ch for ch in str(value or "").casefold() if ch.isalnum())
        if not normalised:
            return None
        values.append(normalised)
    return (row.kind.work, *values)


def _exclude(row: _Row, reason: str, text: str) -> None:
    row.reason, row.reason_text, row.counted_hours = reason, text, 0


def _apply_policy(rule_set: RuleSet, rows: list[_Row]) -> None:
    for row in rows:
        if row.claim.duplicate:
            _exclude(row, REASON_DUPLICATE, "该成果已在其他申报中认定过，同一成果只认定一次")
        elif row.outcome.hours == 0:
            if row.outcome.reason:
                _exclude(row, row.outcome.reason, row.outcome.reason_text or "本项不认定学时")
            else:
                _exclude(row, REASON_ZERO, "本项按标准认定0学时，不计入")

    def live() -> list[_Row]:
        return [r for r in rows if r.reason is None]

    if rule_set.dedupe:
        best: dict[tuple[str, ...], _Row] = {}
        for row in live():
            identity = _identity(row)
            if identity is None:
                continue
            if identity not in best or row.rank > best[identity].rank:
                best[identity] = row
        for row in live():
            identity = _identity(row)
            if identity is not None and best[identity] is not row:
                keeper = best[identity]
                _exclude(
                    row,
                    REASON_DUPLICATE,
                    f"与第{keeper.index + 1}项申报为同一成果，同一成果只认定一次",
                )

    if rule_set.highest_only:
        winner: _Row | None = None
        for row in live():
            if row.kind.conversion and (winner is None or row.rank > winner.rank):
                winner = row
        clause = rule_set.highest_only_clause or "就高原则"
        for row in live():
            if row.kind.conversion and row is not winner:
                assert winner is not None  # nosec B101
                _exclude(
                    row,
                    REASON_HIGHEST_ONLY,
                    f"就高原则：本年度学时折算认定仅认定学时最高的一项（{clause}），"
                    f"已认定第{winner.index + 1}项“{winner.kind.label}”"
                    f"{'（视同完成年度全部学时）' if winner.outcome.full_year else ''}"
                    f"{winner.outcome.hours}学时",
                )

    for cap in rule_set.caps:
        used = 0
        for row in live():
            if row.kind.id not in cap.kinds or (cap.subject and row.subject != cap.subject):
                continue
            room = max(0, cap.hours - used)
            if row.counted_hours > room:
                if room:
                    row.reason, row.counted_hours = REASON_CAP, room
                    row.reason_text = f"{cap.text}，本项仅计入{room}学时"
                else:
                    _exclude(row, REASON_CAP, f"{cap.text}，已达上限，本项不再计入")
            used += row.counted_hours


def _result(row: _Row) -> ClaimResult:
    outcome = row.outcome
    if outcome.full_year:
        explanation = f"{outcome.text}（计{outcome.hours}学时）"
    else:
        explanation = outcome.text
        if not explanation.endswith(f"认定{outcome.hours}学时"):
            explanation = formulas.join(explanation, f"计{outcome.hours}学时")
    return ClaimResult(
        key=row.claim.key,
        kind=row.kind.id,
        hours=outcome.hours,
        full_year=outcome.full_year,
        counted=row.counted_hours > 0,
        counted_hours=row.counted_hours,
        subject=row.subject,
        clause=row.kind.clause,
        reason=row.reason,
        reason_text=row.reason_text,
        explanation=explanation,
        index=row.index,
        label=row.kind.label,
        subject_defaulted=row.subject_defaulted,
        facts=row.facts,
    )


def evaluate_year(
    rule_set: RuleSet, year: int | None, claims: Sequence[Claim], *, require_subject: bool = False
) -> YearResult:
    """Validate all claims of a year, apply the rule set's policy and total the hours.

    Raises RuleError (with `claim_index`) for the first bad claim.
    """
    rows = [_prepare(rule_set, c, i, year, require_subject) for i, c in enumerate(claims)]
    _apply_policy(rule_set, rows)
    results = tuple(_result(r) for r in rows)
    full_year = any(r.counted and r.full_year for r in results)
    if full_year:
        general, professional = ANNUAL_GENERAL_OF_FULL, ANNUAL_PROFESSIONAL
    else:
        general = sum(r.counted_hours for r in results if r.subject == GENERAL)
        professional = sum(r.counted_hours for r in results if r.subject == PROFESSIONAL)
    total = general + professional
    compliant = full_year or (professional >= ANNUAL_PROFESSIONAL and total >= ANNUAL_TOTAL)
    return YearResult(
        claims=results,
        general=general,
        professional=professional,
        total=total,
        full_year=full_year,
        compliant=compliant,
        missing_professional=0 if compliant else max(0, ANNUAL_PROFESSIONAL - professional),
        missing_total=0 if compliant else max(0, ANNUAL_TOTAL - total),
        rule_set=rule_set.id,
        year=year,
    )


def evaluate_claim(
    rule_set: RuleSet, claim: Claim, *, year: int | None = None, require_subject: bool = False
) -> ClaimResult:
    """One claim alone (the live form preview): its hours, and its own yearly cap if any."""
    row = _prepare(rule_set, claim, None, year, require_subject)
    _apply_policy(rule_set, [row])
    return _result(row)


def claim_from_mapping(data: Any, index: int | None = None) -> Claim:
    """A Claim from a JSON object: {"kind", "facts", "subject", "key", "duplicate", "details"}."""

    def fail(message: str, fact: str | None = None) -> RuleError:
        error = RuleError(message, fact=fact)
        return error.located(index) if index is not None else error

    if not isinstance(data, Mapping):
        raise fail("申报条目应为对象（键值对）")
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        raise fail("缺少申报类别 kind", "kind")
    facts = data.get("facts", {})
    if facts is None:
        facts = {}
    if not isinstance(facts, Mapping):
        raise fail("facts 应为对象（键值对）", "facts")
    subject = data.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise fail("科目应为 general 或 professional", "subject")
    key = data.get("key")
    duplicate = data.get("duplicate", False)
    if not isinstance(duplicate, bool):
        raise fail("duplicate 应为 true 或 false", "duplicate")
    details = data.get("details", {}) or {}
    if not isinstance(details, Mapping):
        raise fail("details 应为对象（键值对）", "details")
    return Claim(
        kind=kind,
        facts=dict(facts),
        subject=subject,
        key=None if key is None else str(key),
        duplicate=duplicate,
        details={str(k): "" if v is None else str(v) for k, v in details.items()},
    )
