"""The engine's value types: rule sets, kinds and facts in; claim and year results out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

GENERAL = "general"
PROFESSIONAL = "professional"
SUBJECTS = (GENERAL, PROFESSIONAL)
SUBJECT_LABELS = {GENERAL: "公需科目", PROFESSIONAL: "专业科目"}
# How a counted full-year claim (视同完成年度全部学时) is reported, whatever the rule set: 30
# general + 60 professional = 90. The year's requirement itself is data of the rule set
# (`RuleSet.requirement`), never these constants.
ANNUAL_TOTAL = 90
ANNUAL_PROFESSIONAL = 60
ANNUAL_GENERAL_OF_FULL = ANNUAL_TOTAL - ANNUAL_PROFESSIONAL
FULL_YEAR_HOURS = ANNUAL_TOTAL

# Highest-only scopes (第二十一条4): one clause item (default) or one single claim.
SCOPE_CLAUSE = "clause"
SCOPE_CLAIM = "claim"
SCOPES = (SCOPE_CLAUSE, SCOPE_CLAIM)

FACT_TYPES = ("int", "choice", "bool")
DETAIL_VOCABULARY = (
    "title",
    "date",
    "issuer",
    "certificate_no",
    "patent_no",
    "journal",
    "issn",
    "cn",
    "doi",
    "plan_no",
    "isbn",
)
DETAIL_LABELS = {
    "title": "名称（题目）",
    "date": "日期",
    "issuer": "颁发/主办/出版单位",
    "certificate_no": "证书编号",
    "patent_no": "专利号",
    "journal": "刊物名称",
    "issn": "国际标准刊号（ISSN）",
    "cn": "国内统一刊号（CN）",
    "doi": "DOI",
    "plan_no": "计划/项目编号",
    "isbn": "书号（ISBN）",
}

# Reasons a claim does not count (fully).
REASON_HIGHEST_ONLY = "highest_only"
REASON_CAP = "cap"
REASON_NOT_COMPLETED = "not_completed"
REASON_DUPLICATE = "duplicate"
REASON_ZERO = "zero"
REASON_FAILED = "failed"  # an exam score below the pass mark (seed 002: 60分以上)
REASON_REDUCED = "reduced"  # the reviewer accepted fewer hours
REASON_REFUSED = "refused"  # the reviewer accepted none
REASON_UNFILED = "unfiled"  # a professional training without an accepted filing (001 三)
REASON_INTERNAL = "internal"  # a company's training for its own staff (hefei-2021, 001 附件3)
REASONS = (
    REASON_HIGHEST_ONLY,
    REASON_CAP,
    REASON_NOT_COMPLETED,
    REASON_DUPLICATE,
    REASON_ZERO,
    REASON_FAILED,
    REASON_REDUCED,
    REASON_REFUSED,
    REASON_UNFILED,
    REASON_INTERNAL,
)


class RuleError(ValueError):
    """Bad input: unknown rule set or kind, missing fact, impossible value, bad subject.

    `message` is Chinese; `str(e)` is one line naming the claim (by index) and the fact.
    """

    def __init__(
        self,
        message: str,
        *,
        claim_index: int | None = None,
        fact: str | None = None,
        kind: str | None = None,
        fact_label: str | None = None,
    ) -> None:
        self.message = " ".join(message.split())
        self.claim_index = claim_index
        self.fact = fact
        self.kind = kind
        self.fact_label = fact_label
        super().__init__(self._line())

    def _line(self) -> str:
        where = []
        if self.claim_index is not None:
            claim = f"第{self.claim_index + 1}项申报（claims[{self.claim_index}]"
            claim += f"，{self.kind}）" if self.kind else "）"
            where.append(claim)
        if self.fact is not None:
            label = f"“{self.fact_label}”" if self.fact_label else ""
            where.append(f"{label}（{self.fact}）")
        prefix = "".join(where)
        return f"{prefix}：{self.message}" if prefix else self.message

    def located(self, claim_index: int, kind: str | None = None) -> RuleError:
        """The same error, attributed to a claim of a list."""
        return RuleError(
            self.message,
            claim_index=claim_index,
            fact=self.fact,
            kind=kind if kind is not None else self.kind,
            fact_label=self.fact_label,
        )


@dataclass(frozen=True)
class FactSpec:
    """One input of a kind's form; the engine validates claims against it."""

    name: str
    label: str
    type: str  # "int" | "choice" | "bool"
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    min: int | None = None
    max: int | None = None
    default: object = None
    help: str = ""
    # Extras beyond the contract:
    ordered: bool = False  # choices listed best first: hours never rise further down the list
    unit: str = ""  # e.g. "天", "位", "字", shown after the input

    def choice_label(self, value: str) -> str:
        return dict(self.choices).get(value, value)


@dataclass(frozen=True)
class KindSpec:
    """One row of a catalogue: what the form asks and how hours are computed."""

    id: str
    label: str
    clause: str
    category: str
    conversion: bool
    subject: str | None
    facts: tuple[FactSpec, ...]
    details: tuple[str, ...]
    identity: tuple[str, ...]
    description: str
    # Extras beyond the contract:
    formula: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    work: str = ""  # dedupe group: kinds that may claim the same work, e.g. "paper"
    default_subject: str | None = None  # used when the claim does not say, unless required

    def fact(self, name: str) -> FactSpec:
        for spec in self.facts:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def subject_choosable(self) -> bool:
        return self.subject is None


@dataclass(frozen=True)
class CapSpec:
    """A yearly ceiling on the counted hours of some kinds (optionally of one subject)."""

    id: str
    kinds: tuple[str, ...]
    subject: str | None
    hours: int
    text: str  # Chinese statement of the cap, used in reason texts
    clause: str = ""


@dataclass(frozen=True)
class Requirement:
    """A year's minimum hours under one rule set (data of the rule set, e.g. 90/60 or 30/60).

    Compliant when general >= `general`, professional >= `professional` and general +
    professional >= `total`. anhui-2025: general 0, professional 60, total 90 (professional
    hours above 60 count toward the general part, general never as professional). hefei-2021:
    general 30, professional 60, total 90 (the total is implied by the two parts).
    """

    general: int
    professional: int
    total: int

    def __post_init__(self) -> None:
        for value in (self.general, self.professional, self.total):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RuleError("年度学时要求应为非负整数")

    @property
    def total_is_own(self) -> bool:
        """Whether the total asks for more than the two parts (a requirement of its own)."""
        return self.total > self.general + self.professional

    def met(self, general: int, professional: int) -> bool:
        return (
            general >= self.general
            and professional >= self.professional
            and general + professional >= self.total
        )

    def missing(self, general: int, professional: int) -> tuple[int, int, int]:
        """Hours still missing: (general, professional, total)."""
        return (
            max(0, self.general - general),
            max(0, self.professional - professional),
            max(0, self.total - general - professional),
        )

    @property
    def label(self) -> str:
        """Short form for tables: "90/60" (total/professional) or "30/60" (general/professional)."""
        if self.total_is_own:
            return f"{self.total}/{self.professional}"
        return f"{self.general}/{self.professional}"

    @property
    def text(self) -> str:
        """The requirement as a Chinese sentence."""
        if self.total_is_own:
            text = f"每年不少于{self.total}学时，其中专业科目不少于{self.professional}学时"
            if self.general:
                text += f"、公需科目不少于{self.general}学时"
            return text
        return f"每年公需科目不少于{self.general}学时、专业科目不少于{self.professional}学时"

    def as_dict(self) -> dict[str, int]:
        return {"general": self.general, "professional": self.professional, "total": self.total}


DEFAULT_REQUIREMENT = Requirement(general=0, professional=ANNUAL_PROFESSIONAL, total=ANNUAL_TOTAL)


@dataclass(frozen=True)
class RuleSet:
    """A versioned hour-conversion table plus its policy, loaded from a data file."""

    id: str
    name: str
    source: str
    effective_from: date
    kinds: Mapping[str, KindSpec]
    highest_only: bool
    general_courseware_cap: int | None
    # Extras beyond the contract:
    self_study_cap: int | None = None
    caps: tuple[CapSpec, ...] = ()
    dedupe: bool = True
    internal_training_counts: bool = True
    highest_only_clause: str = ""
    description: str = ""
    default_years: tuple[int | None, int | None] = (None, None)
    electable_years: tuple[int, int] | None = None
    requirement: Requirement = DEFAULT_REQUIREMENT

    def kind(self, kind_id: str) -> KindSpec:
        try:
            return self.kinds[kind_id]
        except KeyError:
            raise RuleError(f"规则集“{self.name}”中没有申报类别“{kind_id}”") from None

    def categories(self) -> list[tuple[str, list[KindSpec]]]:
        """Kinds grouped by category, in catalogue order (for the kind picker)."""
        groups: dict[str, list[KindSpec]] = {}
        for spec in self.kinds.values():
            groups.setdefault(spec.category, []).append(spec)
        return list(groups.items())


@dataclass(frozen=True)
class Claim:
    """One activity or achievement to evaluate.

    `subject` is "general" or "professional" (Chinese 公需/专业 are accepted too); when it is
    omitted for a kind whose subject the person chooses, the kind's default subject is used
    unless the caller asks for `require_subject`. `duplicate` marks a work the caller knows was
    already counted elsewhere; `details` (title, patent_no, ...) let the engine find the same
    work twice within one list. `elected` is the professional's choice under highest-only
    (就高认定项). `accepted_hours` is the reviewer's bound: None = not reduced, 0 = refused,
    n = at most n hours count. `unfiled` marks a training the caller found without an accepted
    filing (counts 0); `internal` a training a company held for its own staff (counts 0 where
    the rule set says so).
    """

    kind: str
    facts: Mapping[str, object] = field(default_factory=dict)
    subject: str | None = None
    key: str | None = None
    duplicate: bool = False
    details: Mapping[str, str] = field(default_factory=dict)
    elected: bool = False
    accepted_hours: int | None = None
    unfiled: bool = False
    internal: bool = False


@dataclass(frozen=True)
class ClaimResult:
    """One claim evaluated within its year.

    `table_hours` is what the rule set's table gives; `hours` is what the claim is worth after
    the reviewer's bound (equal to `table_hours` unless reduced or refused); `counted_hours` is
    what counts in the year after highest-only, dedupe and the yearly caps. `full_year` holds
    only for a full-year claim the reviewer did not reduce.
    """

    key: str | None
    kind: str
    hours: int
    full_year: bool
    counted: bool
    counted_hours: int
    subject: str
    clause: str
    reason: str | None
    reason_text: str
    explanation: str
    # Extras beyond the contract:
    index: int = 0
    label: str = ""
    subject_defaulted: bool = False
    facts: Mapping[str, object] = field(default_factory=dict, compare=False)
    table_hours: int = 0
    table_full_year: bool = False
    accepted_hours: int | None = None
    elected: bool = False
    conversion: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "hours": self.hours,
            "full_year": self.full_year,
            "counted": self.counted,
            "counted_hours": self.counted_hours,
            "table_hours": self.table_hours,
            "accepted_hours": self.accepted_hours,
            "elected": self.elected,
            "subject": self.subject,
            "kind": self.kind,
            "key": self.key,
            "clause": self.clause,
            "reason": self.reason,
            "reason_text": self.reason_text,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class YearResult:
    """The year's counted hours, judged by `requirement` (the rule set's).

    `general` and `professional` are counted hours per subject as declared (before professional
    hours above 60 move to the general part); `total` is their sum. A counted full-year claim
    makes them 30, 60 and 90. Under highest-only, `chosen` names the clause item (or, with the
    "claim" scope, the claim's 1-based position) that counts and `chosen_by` says why:
    "elected" (the professional's choice) or "best" (the one that serves the person best).
    """

    claims: tuple[ClaimResult, ...]
    general: int
    professional: int
    total: int
    full_year: bool
    compliant: bool
    missing_professional: int
    missing_total: int
    # Extras beyond the contract:
    rule_set: str = ""
    year: int | None = None
    requirement: Requirement = DEFAULT_REQUIREMENT
    missing_general: int = 0
    scope: str = ""
    chosen: str = ""
    chosen_by: str = ""

    def shortfall_text(self) -> str:
        if self.compliant:
            return "已达标"
        parts = []
        if self.missing_general:
            parts.append(f"{self.missing_general} 公需科目学时")
        if self.missing_professional:
            parts.append(f"{self.missing_professional} 专业科目学时")
        # A total that only adds up the two parts (hefei-2021: 30 + 60) is not a shortfall
        # of its own.
        if self.missing_total and self.requirement.total_is_own:
            parts.append(f"{self.missing_total} 总学时")
        return "还差 " + "、".join(parts)

    def shares(self) -> dict[str | None, tuple[int, int]]:
        """Each claim's part of the year's figures, by key: (general, professional). They add
        up to `general` and `professional`: a claim's counted hours go to its subject, except
        that in a full-year year the first counted full-year claim carries the year's 30 + 60
        and every other claim nothing (they add nothing to the reported figures)."""
        if self.full_year:
            lead = next(c for c in self.claims if c.full_year and c.counted_hours > 0)
            return {
                c.key: ((ANNUAL_GENERAL_OF_FULL, ANNUAL_PROFESSIONAL) if c is lead else (0, 0))
                for c in self.claims
            }
        return {
            c.key: (c.counted_hours, 0) if c.subject == GENERAL else (0, c.counted_hours)
            for c in self.claims
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "claims": [c.as_dict() for c in self.claims],
            "general": self.general,
            "professional": self.professional,
            "total": self.total,
            "compliant": self.compliant,
            "full_year": self.full_year,
            "requirement": self.requirement.as_dict(),
            "missing_general": self.missing_general,
            "missing_professional": self.missing_professional,
            "missing_total": self.missing_total,
            "shortfall": self.shortfall_text(),
            "rule_set": self.rule_set,
            "year": self.year,
            "highest_only": {"scope": self.scope, "chosen": self.chosen, "by": self.chosen_by},
        }
