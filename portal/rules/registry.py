"""Loading rule-set data files and choosing the rule set of a year.

Each file in `portal/rules/rulesets/*.json` is one rule set: its annual requirement, its kinds
(facts, details, formula) and its policy (highest-only, yearly caps, dedupe). Adding a city's or a year's table
is a new file; `fact_templates` lets a file define a fact once and `use` it in several kinds.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import date
from importlib import resources
from types import MappingProxyType
from typing import Any

from portal.rules import formulas
from portal.rules.model import (
    DETAIL_VOCABULARY,
    FACT_TYPES,
    GENERAL,
    PROFESSIONAL,
    SUBJECTS,
    CapSpec,
    FactSpec,
    KindSpec,
    Requirement,
    RuleError,
    RuleSet,
)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _fact(raw: Mapping[str, Any], templates: Mapping[str, Any], where: str) -> FactSpec:
    if "use" in raw:
        if raw["use"] not in templates:
            raise RuleError(f"规则集数据错误（{where}）：未定义的事实模板“{raw['use']}”")
        raw = {**templates[raw["use"]], **{k: v for k, v in raw.items() if k != "use"}}
    if raw.get("type") not in FACT_TYPES:
        raise RuleError(f"规则集数据错误（{where}）：事实项类型“{raw.get('type')}”无效")
    choices = tuple((str(v), str(label)) for v, label in raw.get("choices", ()))
    if raw["type"] == "choice" and not choices:
        raise RuleError(f"规则集数据错误（{where}）：选择项“{raw.get('name')}”没有可选值")
    return FactSpec(
        name=raw["name"],
        label=raw["label"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        choices=choices,
        min=raw.get("min"),
        max=raw.get("max"),
        default=raw.get("default"),
        help=raw.get("help", ""),
        ordered=bool(raw.get("ordered", False)),
        unit=raw.get("unit", ""),
    )


def _kind(raw: Mapping[str, Any], templates: Mapping[str, Any], set_id: str) -> KindSpec:
    where = f"{set_id} / {raw.get('id')}"
    facts = tuple(_fact(f, templates, where) for f in raw.get("facts", ()))
    names = [f.name for f in facts]
    if len(set(names)) != len(names):
        raise RuleError(f"规则集数据错误（{where}）：事实项重名")
    for key in (*raw.get("details", ()), *raw.get("identity", ())):
        if key not in DETAIL_VOCABULARY:
            raise RuleError(f"规则集数据错误（{where}）：未知的证明信息项“{key}”")
    subject = raw.get("subject")
    default_subject = raw.get("default_subject", subject or PROFESSIONAL)
    if subject not in (None, *SUBJECTS) or default_subject not in SUBJECTS:
        raise RuleError(f"规则集数据错误（{where}）：科目无效")
    specs = {f.name: f for f in facts}
    formulas.check(raw.get("formula"), specs, where)
    return KindSpec(
        id=raw["id"],
        label=raw["label"],
        clause=raw["clause"],
        category=raw["category"],
        conversion=bool(raw["conversion"]),
        subject=subject,
        facts=facts,
        details=tuple(raw.get("details", ())),
        identity=tuple(raw.get("identity", ())),
        description=raw["description"],
        formula=_freeze(raw["formula"]),
        work=raw.get("work") or raw["id"],
        default_subject=default_subject,
    )


def _years(value: Any) -> tuple[int | None, int | None]:
    if not value:
        return (None, None)
    return (value[0], value[1])


def _requirement(raw: Any, set_id: str) -> Requirement:
    if not isinstance(raw, Mapping) or set(raw) != {"general", "professional", "total"}:
        raise RuleError(
            f"规则集数据错误（{set_id}）：requirement 应给出 general、professional、total 三项"
        )
    try:
        return Requirement(
            general=raw["general"], professional=raw["professional"], total=raw["total"]
        )
    except RuleError as error:
        raise RuleError(f"规则集数据错误（{set_id}）：{error.message}") from None


def load_rule_set(data: Mapping[str, Any]) -> RuleSet:
    """Build a RuleSet from the parsed content of a rule-set file, checking every formula."""
    set_id = data["id"]
    requirement = _requirement(data.get("requirement"), set_id)
    templates = data.get("fact_templates", {})
    kinds: dict[str, KindSpec] = {}
    for raw in data["kinds"]:
        spec = _kind(raw, templates, set_id)
        if spec.id in kinds:
            raise RuleError(f"规则集数据错误（{set_id}）：申报类别“{spec.id}”重复")
        kinds[spec.id] = spec
    policy = data.get("policy", {})
    caps = tuple(
        CapSpec(
            id=c["id"],
            kinds=tuple(c["kinds"]),
            subject=c.get("subject"),
            hours=int(c["hours"]),
            text=c["text"],
            clause=c.get("clause", ""),
        )
        for c in policy.get("caps", ())
    )
    for cap in caps:
        unknown = [k for k in cap.kinds if k not in kinds]
        if unknown or cap.subject not in (None, *SUBJECTS):
            raise RuleError(f"规则集数据错误（{set_id}）：上限“{cap.id}”引用了未知类别或科目")
    courseware_cap = next(
        (
            c.hours
            for c in caps
            if c.subject == GENERAL and all(not kinds[k].conversion for k in c.kinds)
        ),
        None,
    )
    self_study_cap = next((c.hours for c in caps if "self_study" in c.kinds), None)
    electable = data.get("electable_years")
    return RuleSet(
        id=set_id,
        name=data["name"],
        source=data["source"],
        effective_from=date.fromisoformat(data["effective_from"]),
        kinds=MappingProxyType(kinds),
        highest_only=bool(policy.get("highest_only", False)),
        general_courseware_cap=courseware_cap,
        self_study_cap=self_study_cap,
        caps=caps,
        dedupe=bool(policy.get("dedupe", True)),
        internal_training_counts=bool(policy.get("internal_training_counts", True)),
        highest_only_clause=policy.get("highest_only_clause", ""),
        description=data.get("description", ""),
        default_years=_years(data.get("default_years")),
        electable_years=(electable[0], electable[1]) if electable else None,
        requirement=requirement,
    )


@functools.cache
def _registry() -> Mapping[str, RuleSet]:
    folder = resources.files("portal.rules").joinpath("rulesets")
    found: dict[str, RuleSet] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            rule_set = load_rule_set(json.loads(entry.read_text(encoding="utf-8")))
            found[rule_set.id] = rule_set
    return MappingProxyType(found)


def rule_set_ids() -> list[str]:
    """Ids of the shipped rule sets, newest effective date first."""
    sets = _registry().values()
    return [s.id for s in sorted(sets, key=lambda s: s.effective_from, reverse=True)]


def get_rule_set(rule_set_id: str) -> RuleSet:
    try:
        return _registry()[rule_set_id]
    except (KeyError, TypeError):
        known = "、".join(rule_set_ids())
        raise RuleError(f"未知的规则集“{rule_set_id}”，可用：{known}") from None


def _within(year: int, span: tuple[int | None, int | None]) -> bool:
    low, high = span
    return (low is None or year >= low) and (high is None or year <= high)


def rule_set_for_year(
    year: int, elect: str | None = None, allow_transition: bool = False
) -> RuleSet:
    """The rule set that applies to a declaration year.

    By default the one whose `default_years` hold the year (anhui-2025 from 2025, hefei-2021
    before). `elect` names another rule set; it is honoured only when the bureau allows the
    transition (`allow_transition`, seed 003: 新人新办法、老人老办法 until 2030) and the year lies
    in that rule set's `electable_years` (hefei-2021: 2025–2030). Otherwise RuleError.
    """
    default = next((s for s in _registry().values() if _within(year, s.default_years)), None)
    if elect is None or (default is not None and elect == default.id):
        if default is None:
            raise RuleError(f"{year}年没有适用的学时认定规则集")
        return default
    chosen = get_rule_set(elect)
    if not allow_transition:
        raise RuleError(f"{year}年适用“{default.name if default else '—'}”，未开放过渡期选择")
    if chosen.electable_years is None or not _within(year, chosen.electable_years):
        raise RuleError(f"{year}年不能选择“{chosen.name}”（仅过渡期年度可选）")
    return chosen
