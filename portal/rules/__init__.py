"""The pure rules engine: hour-conversion rule sets, claim and year evaluation, the calendar.

No Flask and no SQLAlchemy here: dataclasses in, decisions out. `evaluate_year` judges a
declaration year, `verify_cycle` (portal.rules.cycle) a tenure cycle. Rule sets are data files in
`portal/rules/rulesets/`; see `portal.rules.formulas` for the primitives they are written in
and `portal.rules.engine` for the interpretations of the sources.
"""

from portal.rules.cycle import (
    ComponentCount,
    CrossMajor,
    CrossMajorResult,
    CycleAverage,
    CyclePolicy,
    CycleResult,
    CycleYear,
    CycleYearResult,
    cycle_from_mapping,
    verify_cycle,
)
from portal.rules.engine import (
    claim_from_mapping,
    evaluate_claim,
    evaluate_year,
    validate_facts,
)
from portal.rules.model import (
    ANNUAL_PROFESSIONAL,
    ANNUAL_TOTAL,
    DETAIL_LABELS,
    DETAIL_VOCABULARY,
    GENERAL,
    PROFESSIONAL,
    REASONS,
    SCOPE_CLAIM,
    SCOPE_CLAUSE,
    SCOPES,
    SUBJECT_LABELS,
    CapSpec,
    Claim,
    ClaimResult,
    FactSpec,
    KindSpec,
    Requirement,
    RuleError,
    RuleSet,
    YearResult,
)
from portal.rules.registry import get_rule_set, load_rule_set, rule_set_for_year, rule_set_ids

__all__ = [
    "ANNUAL_PROFESSIONAL",
    "ANNUAL_TOTAL",
    "DETAIL_LABELS",
    "DETAIL_VOCABULARY",
    "GENERAL",
    "PROFESSIONAL",
    "REASONS",
    "SCOPE_CLAIM",
    "SCOPE_CLAUSE",
    "SCOPES",
    "SUBJECT_LABELS",
    "CapSpec",
    "Claim",
    "ClaimResult",
    "ComponentCount",
    "CrossMajor",
    "CrossMajorResult",
    "CycleAverage",
    "CyclePolicy",
    "CycleResult",
    "CycleYear",
    "CycleYearResult",
    "FactSpec",
    "KindSpec",
    "Requirement",
    "RuleError",
    "RuleSet",
    "YearResult",
    "claim_from_mapping",
    "cycle_from_mapping",
    "evaluate_claim",
    "evaluate_year",
    "get_rule_set",
    "load_rule_set",
    "rule_set_for_year",
    "rule_set_ids",
    "validate_facts",
    "verify_cycle",
]
