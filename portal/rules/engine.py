"""Evaluating claims and years against a rule set.

Interpretations kept from spec/rules.md (and the sources, 004 第十二条, 第二十一条; 001 附件3):

- The year's requirement is data of the rule set (`RuleSet.requirement`, from the rule-set
  file): anhui-2025 asks professional >= 60 and general + professional >= 90 (professional hours
  above 60 count toward the general part, general hours never as professional); hefei-2021 asks
  general >= 30 and professional >= 60. `YearResult.requirement` says which one judged the year.
- anhui-2025 (一): "一等奖以上获奖人" names every awardee while the lower grades name the
  "第一获奖人", so the rank reduction of 3 hours applies to the second and third grades only;
  a national second grade's first awardee earns the full year, the k-th 90 − 3(k−1).
- anhui-2025 (五): "分别" runs over the three levels (ministry, province, city), not over ranks;
  `completed` is a required choice (no default); an uncompleted project earns 0 with reason
  "not_completed".
- One claim is one occurrence: a lecture (十一) earns 5, an expert-service activity (二) 20;
  nothing in a claim multiplies it.
- Courseware (十二) earns its labelled hours, or 1 without them; its length in minutes plays
  no part. A courseware or hefei-2021 public_course claim may record the exam `score`; below 60
  it earns 0 with reason "failed" (seed 002's pass mark for the 公需 exam, applied to every
  courseware that records a score).
- Hours never go below 0; a claim earning 0 does not count (reason "zero").
- A training the caller marks `unfiled` (no accepted filing, 001 三 未按要求进行备案备查的各类专业
  科目培训不予认可) counts 0 (reason "unfiled"); one marked `internal` (a company's training for
  its own staff) counts 0 (reason "internal") where the rule set's policy says
  `internal_training_counts: false` (hefei-2021: 公司内部培训不算做继续教育学时).
- A full-year claim (视同完成年度全部学时) earns 90 hours; when it counts the year is reported as
  30 general + 60 professional + 90 total and is compliant by itself. Other claims that count
  beside it stay counted but add nothing to those figures.
- The reviewer's bound (`Claim.accepted_hours`: None = not reduced, 0 = refused) applies to
  the table hours first: a claim is worth min(table hours, accepted hours) (reason "reduced"
  while it counts, "refused" at 0), and a full-year claim keeps the full year only when not
  reduced. Highest-only, dedupe and the caps then work on these accepted hours, so a reduction
  can change which item counts and a cap fills with accepted hours.
- Highest-only (第二十一条4, anhui-2025): "每个年度认定仅能选择一项" is read as one clause item of
  第十二条 (一)–(十一) (the bureau may narrow it to one claim: scope "claim"). All conversion
  claims of that item count, adding up within the item's own caps ((三): at most 90 a year).
  The professional chooses the item by electing one of its claims (`elected`; electing a lower
  option than the highest is allowed); more than one elected conversion claim is an error. An
  elected item with no claim left that can count (refused, duplicate, 0 hours) elects nothing.
  Without an election, the item that serves the person best counts: the one that makes the year
  compliant, then the highest year total (as reported: a full-year item is 90), then the most
  professional hours, then the item of the earliest entered claim. An elected courseware claim
  (outside highest-only) elects nothing; hefei-2021 has no highest-only and ignores elections.
- Yearly caps (general courseware 30 and overseas training 90 in anhui-2025; self_study 36 in
  hefei-2021) are filled in the order the claims were entered; the claim that crosses the cap
  counts with the part that fits (reason "cap"), later ones not at all. Where the requirement
  asks no general minimum of its own (anhui-2025), a cap spanning both subjects fills with
  professional claims first, since they count toward both parts; in hefei-2021, where the
  general part has its own minimum, entry order alone decides.
- The same work (paper, book, patent, award, certificate) counts once: among claims of the same
  `work` group whose identifying details are equal (compared without case, spaces or
  punctuation), the one earning most hours counts, the others get reason "duplicate". A caller
  that knows the work was counted elsewhere sets `Claim.duplicate`.
- hefei-2021: everything accumulates (no highest-only). Subjects: public_course is general;
  medical_credit (继续医学教育学分) is professional; trainings, degree courses and teacher
  trainings take the subject of the training itself (given by the caller, like courseware);
  for achievements, exams, conferences and self-study the person chooses. 援藏/援外/扶贫 service
  (aid) is the full year; a qualification earns 90 in the year of the certificate. No fact
  moves a claim to another year (the aid and qualification `year` facts are gone; the old
  "72 before 2016" rows need a year fact and are not kept).
- A claim without a subject gets its kind's default subject (professional unless the kind is
  fixed), unless the caller passes `require_subject=True` (e.g. on submission).
- A fact the kind does not have is an error, like a missing one; "" and None count as not given.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portal.rules import formulas
from portal.rules.model import (
    ANNUAL_GENERAL_OF_FULL,
    ANNUAL_PROFESSIONAL,
    GENERAL,
    PROFESSIONAL,
    REASON_CAP,
    REASON_DUPLICATE,
    REASON_HIGHEST_ONLY,
    REASON_INTERNAL,
    REASON_REDUCED,
    REASON_REFUSED,
    REASON_UNFILED,
    REASON_ZERO,
    SCOPE_CLAUSE,
    SCOPES,
    SUBJECT_LABELS,
    Claim,
    ClaimResult,
    FactSpec,
    KindSpec,
    Requirement,
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


def validate_facts(rule_set: RuleSet, claim: Claim) -> dict[str, object]:
    """The claim's facts normalised (ints from "3", bools from "y"/"true"/"1"/"on").

    Raises RuleError naming the fact for a fact the kind does not have, a missing required fact
    or an impossible value.
    """
    kind = _kind_of(rule_set, claim)
    given = claim.facts if isinstance(claim.facts, Mapping) else None
    if given is None:
        raise RuleError("facts 应为对象（键值对）", fact="facts", fact_label="事实项")
    known = {spec.name for spec in kind.facts}
    for name in given:
        if name not in known:
            allowed = "、".join(f"{s.name}（{s.label}）" for s in kind.facts) or "无"
            raise RuleError(f"“{kind.label}”没有这一事实项（可填写：{allowed}）", fact=str(name))
    facts: dict[str, object] = {}
    for spec in kind.facts:
        value = given.get(spec.name)
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
    hours: int = 0  # after the reviewer's bound
    full_year: bool = False  # a full-year claim the reviewer did not reduce
    reason: str | None = None
    reason_text: str = ""
    counted_hours: int = 0

    @property
    def rank(self) -> tuple[int, bool]:
        return (self.hours, self.full_year)

    @property
    def live(self) -> bool:
        return self.reason in (None, REASON_REDUCED)


def _accepted(claim: Claim) -> int | None:
    value = claim.accepted_hours
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleError(
            f"审核认定学时应为非负整数，收到“{_shown(value)}”",
            fact="accepted_hours",
            fact_label="审核认定学时",
        )
    return value


def _prepare(rule_set: RuleSet, claim: Claim, index: int | None, require_subject: bool) -> _Row:
    try:
        if not isinstance(claim, Claim):
            raise RuleError("申报条目格式无效")
        kind = _kind_of(rule_set, claim)
        facts = validate_facts(rule_set, claim)
        subject, defaulted = _subject(kind, claim, require_subject)
        accepted = _accepted(claim)
        outcome = formulas.evaluate(kind.formula, facts, {f.name: f for f in kind.facts})
    except RuleError as error:
        kind_id = claim.kind if isinstance(claim, Claim) and isinstance(claim.kind, str) else None
        if index is None:
            raise RuleError(
                error.message, fact=error.fact, kind=kind_id, fact_label=error.fact_label
            ) from None
        raise error.located(index, kind_id) from None
    row = _Row(index or 0, claim, kind, facts, subject, defaulted, outcome)
    row.hours, row.full_year = outcome.hours, outcome.full_year
    if accepted is not None and accepted < outcome.hours:
        row.hours, row.full_year = accepted, False
        if accepted:
            row.reason = REASON_REDUCED
            row.reason_text = f"审核认定{accepted}学时（按标准{outcome.hours}学时）"
    row.counted_hours = row.hours
    return row


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


UNFILED_TEXT = "未按要求备案的专业科目培训不予认可，计0学时（001 三、003 二）"
INTERNAL_TEXT = "公司内部培训不算做继续教育学时，计0学时（合肥市学时核定明细表，001 附件3）"


def _exclude(row: _Row, reason: str, text: str) -> None:
    row.reason, row.reason_text, row.counted_hours = reason, text, 0


def _exclusions(rule_set: RuleSet, rows: list[_Row]) -> None:
    """Claims that cannot count whatever the policy: known duplicates, refused, worth 0."""
    for row in rows:
        if row.claim.unfiled:
            _exclude(row, REASON_UNFILED, UNFILED_TEXT)
        elif row.claim.internal and not rule_set.internal_training_counts:
            _exclude(row, REASON_INTERNAL, INTERNAL_TEXT)
        elif row.claim.duplicate:
            _exclude(row, REASON_DUPLICATE, "该成果已在其他申报中认定过，同一成果只认定一次")
        elif row.hours == 0 and row.outcome.hours > 0:
            _exclude(row, REASON_REFUSED, "审核不予认定")
        elif row.hours == 0:
            if row.outcome.reason:
                _exclude(row, row.outcome.reason, row.outcome.reason_text or "本项不认定学时")
            else:
                _exclude(row, REASON_ZERO, "本项按标准认定0学时，不计入")
    if not rule_set.dedupe:
        return
    best: dict[tuple[str, ...], _Row] = {}
    for row in rows:
        identity = _identity(row) if row.live else None
        if identity is not None and (identity not in best or row.rank > best[identity].rank):
            best[identity] = row
    for row in rows:
        identity = _identity(row) if row.live else None
        if identity is not None and best[identity] is not row:
            keeper = best[identity]
            _exclude(
                row, REASON_DUPLICATE, f"与第{keeper.index + 1}项申报为同一成果，同一成果只认定一次"
            )


def _capped(rule_set: RuleSet, rows: Sequence[_Row]) -> list[tuple[int, str | None, str]]:
    """Counted hours of `rows` (entry order) under the yearly caps, with a reason when cut."""
    out = [(row.hours, None, "") for row in rows]
    order = list(range(len(rows)))
    if rule_set.requirement.general == 0:
        # Professional hours count toward both parts of such a requirement: they fill a cap
        # that spans both subjects first.
        order.sort(key=lambda i: rows[i].subject != PROFESSIONAL)
    for cap in rule_set.caps:
        used = 0
        for i in order:
            row = rows[i]
            if row.kind.id not in cap.kinds or (cap.subject and row.subject != cap.subject):
                continue
            counted = out[i][0]
            room = max(0, cap.hours - used)
            if counted > room:
                text = (
                    f"{cap.text}，本项仅计入{room}学时"
                    if room
                    else f"{cap.text}，已达上限，本项不再计入"
                )
                out[i] = (room, REASON_CAP, text)
            used += out[i][0]
    return out


def _totals(
    requirement: Requirement, rows: Sequence[_Row], counted: Sequence[int]
) -> tuple[int, int, bool, bool]:
    """(general, professional, full_year, compliant) of rows counting `counted` hours."""
    full_year = any(row.full_year and hours > 0 for row, hours in zip(rows, counted, strict=True))
    if full_year:
        return ANNUAL_GENERAL_OF_FULL, ANNUAL_PROFESSIONAL, True, True
    general = sum(h for row, h in zip(rows, counted, strict=True) if row.subject == GENERAL)
    professional = sum(
        h for row, h in zip(rows, counted, strict=True) if row.subject == PROFESSIONAL
    )
    return general, professional, False, requirement.met(general, professional)


def _elected(rows: list[_Row]) -> _Row | None:
    chosen = [row for row in rows if row.claim.elected is True and row.kind.conversion]
    if len(chosen) > 1:
        first, second = chosen[0], chosen[1]
        raise RuleError(
            f"每个年度只能选择一项就高认定项（第二十一条4），第{first.index + 1}项与"
            f"第{second.index + 1}项都选择了",
            fact="elected",
            fact_label="就高认定项",
        ).located(second.index, second.kind.id)
    return chosen[0] if chosen else None


def _highest_only(rule_set: RuleSet, rows: list[_Row], scope: str) -> tuple[str, str]:
    """Keep the conversion claims of one item (a clause, or one claim); returns (chosen, by)."""
    elected = _elected(rows)
    items: dict[object, list[_Row]] = {}
    for row in rows:
        if row.live and row.kind.conversion:
            item = row.kind.clause if scope == SCOPE_CLAUSE else row.index
            items.setdefault(item, []).append(row)
    if not items:
        return "", ""
    others = [row for row in rows if row.live and not row.kind.conversion]

    def serves(members: list[_Row]) -> tuple[bool, int, int, int]:
        included = sorted(others + members, key=lambda r: r.index)
        counted = [hours for hours, _, _ in _capped(rule_set, included)]
        general, professional, _, compliant = _totals(rule_set.requirement, included, counted)
        return (compliant, general + professional, professional, -members[0].index)

    chosen_key = None
    if elected is not None:
        wanted = elected.kind.clause if scope == SCOPE_CLAUSE else elected.index
        chosen_key = wanted if wanted in items else None
    by = "elected" if chosen_key is not None else "best"
    if chosen_key is None:
        chosen_key = max(items, key=lambda key: serves(items[key]))
    members = items[chosen_key]
    lead = members[0]
    clause = rule_set.highest_only_clause or "就高原则"
    if scope == SCOPE_CLAUSE:
        what = f"{lead.kind.clause}所列一项（第{'、'.join(str(r.index + 1) for r in members)}项）"
    else:
        what = f"第{lead.index + 1}项“{lead.kind.label}”"
    why = "本人选择" if by == "elected" else "按最有利于本人的原则"
    for key, item_rows in items.items():
        if key == chosen_key:
            continue
        for row in item_rows:
            _exclude(
                row,
                REASON_HIGHEST_ONLY,
                f"就高原则（{clause}）：本年度学时折算只认定一项，{why}认定{what}，"
                f"本项不重复累计认定",
            )
    return lead.kind.clause, by


def _apply_policy(rule_set: RuleSet, rows: list[_Row], scope: str) -> tuple[str, str]:
    _exclusions(rule_set, rows)
    chosen = ("", "")
    if rule_set.highest_only:
        chosen = _highest_only(rule_set, rows, scope)
    live = [row for row in rows if row.live]
    for row, (hours, reason, text) in zip(live, _capped(rule_set, live), strict=True):
        row.counted_hours = hours
        if reason is not None:
            row.reason, row.reason_text = reason, text
    return chosen


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
        hours=row.hours,
        full_year=row.full_year,
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
        table_hours=outcome.hours,
        table_full_year=outcome.full_year,
        accepted_hours=row.claim.accepted_hours,
        elected=row.claim.elected is True,
        conversion=row.kind.conversion,
    )


def _scope(value: object) -> str:
    if value not in SCOPES:
        raise RuleError(
            f"就高原则的范围应为 clause（一项条款）或 claim（一条申报），收到“{_shown(value)}”",
            fact="highest_only",
            fact_label="就高原则范围",
        )
    return str(value)


def _typed(value) -> tuple:
    """A value with its type: 1, 1.0 and True are equal in Python, not to the engine."""
    return (type(value), value)


def _items(mapping: Mapping) -> tuple:
    return tuple(sorted((key, _typed(value)) for key, value in mapping.items()))


class _Asked:
    """evaluate_year's arguments as a key of its memo: equal when the rule set is the same
    object and every other argument is equal (each claim by all its fields)."""

    __slots__ = ("rule_set", "year", "claims", "require_subject", "scope", "key")

    def __init__(self, rule_set, year, claims, require_subject, scope):
        self.rule_set, self.year, self.claims = rule_set, year, claims
        self.require_subject, self.scope = require_subject, scope
        self.key = (
            id(rule_set), _typed(year), _typed(require_subject), _typed(scope),
            tuple(
                tuple(map(_typed, (c.kind, c.subject, c.key, c.duplicate, c.elected,
                                   c.accepted_hours, c.unfiled, c.internal)))
                + (_items(c.facts), _items(c.details))
                for c in claims
            ),
        )  # fmt: skip
        hash(self.key)  # TypeError for an unhashable fact value: then no memo

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, _Asked) and self.rule_set is other.rule_set and self.key == other.key
        )


@functools.lru_cache(maxsize=4096)
def _remembered(asked: _Asked) -> YearResult:
    return _evaluate_year(
        asked.rule_set, asked.year, asked.claims, asked.require_subject, asked.scope
    )


def evaluate_year(
    rule_set: RuleSet,
    year: int | None,
    claims: Sequence[Claim],
    *,
    require_subject: bool = False,
    highest_only_scope: str = SCOPE_CLAUSE,
) -> YearResult:
    """Validate all claims of a year, apply the rule set's policy and judge the year.

    The year is judged by `rule_set.requirement`. `highest_only_scope` is the bureau's reading
    of 第二十一条4: "clause" (one clause item counts, default) or "claim" (one claim); rule sets
    without highest-only ignore it. Raises RuleError (with `claim_index`) for the first bad
    claim, and for more than one elected conversion claim.

    The result (immutable) is remembered for the same arguments: a page shown again (the unit's
    dashboard evaluates each draft and waiting declaration of its page) evaluates only what
    changed. A claim's key is its id, so two people's claims never share an entry.
    """
    try:
        asked = _Asked(rule_set, year, tuple(claims), require_subject, highest_only_scope)
    except (AttributeError, TypeError):  # not Claims, or an unhashable fact: the engine says
        return _evaluate_year(rule_set, year, claims, require_subject, highest_only_scope)
    return _remembered(asked)


def _evaluate_year(
    rule_set: RuleSet,
    year: int | None,
    claims: Sequence[Claim],
    require_subject: bool,
    highest_only_scope: str,
) -> YearResult:
    scope = _scope(highest_only_scope)
    rows = [_prepare(rule_set, c, i, require_subject) for i, c in enumerate(claims)]
    chosen, chosen_by = _apply_policy(rule_set, rows, scope)
    results = tuple(_result(r) for r in rows)
    general, professional, full_year, compliant = _totals(
        rule_set.requirement, rows, [r.counted_hours for r in rows]
    )
    missing = (0, 0, 0) if compliant else rule_set.requirement.missing(general, professional)
    return YearResult(
        claims=results,
        general=general,
        professional=professional,
        total=general + professional,
        full_year=full_year,
        compliant=compliant,
        missing_professional=missing[1],
        missing_total=missing[2],
        rule_set=rule_set.id,
        year=year,
        requirement=rule_set.requirement,
        missing_general=missing[0],
        scope=scope if rule_set.highest_only else "",
        chosen=chosen,
        chosen_by=chosen_by,
    )


def evaluate_claim(
    rule_set: RuleSet, claim: Claim, *, year: int | None = None, require_subject: bool = False
) -> ClaimResult:
    """One claim alone (the live form preview): its hours, and its own yearly cap if any.

    `year` is accepted for the callers' convenience; no kind's hours depend on it.
    """
    row = _prepare(rule_set, claim, None, require_subject)
    _apply_policy(rule_set, [row], SCOPE_CLAUSE)
    return _result(row)


def claim_from_mapping(data: Any, index: int | None = None) -> Claim:
    """A Claim from a JSON object.

    Members: "kind", "facts", "subject", "key", "duplicate", "details", "elected" (true or
    false) and "accepted_hours" (the reviewer's bound, a non-negative integer or null).
    """

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
    elected = data.get("elected", False)
    if not isinstance(elected, bool):
        raise fail("elected 应为 true 或 false", "elected")
    accepted = data.get("accepted_hours")
    if accepted is not None and (
        isinstance(accepted, bool) or not isinstance(accepted, int) or accepted < 0
    ):
        raise fail("accepted_hours 应为非负整数或 null", "accepted_hours")
    return Claim(
        kind=kind,
        facts=dict(facts),
        subject=subject,
        key=None if key is None else str(key),
        duplicate=duplicate,
        details={str(k): "" if v is None else str(v) for k, v in details.items()},
        elected=elected,
        accepted_hours=accepted,
    )
