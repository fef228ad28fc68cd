"""The generic formula primitives a rule-set file is written in.

A kind's `formula` is a tree of nodes, each a JSON object with an `op`:

- `full`: the full year (视同完成年度全部学时), reported as 90 hours.
- `fixed`: `hours` (may carry a `reason` such as "not_completed" when it is 0).
- `per`: `floor(fact / block) * rate` — per day, per course, per whole thousand characters,
  or the claimed/decided hours themselves (`rate` 1).
- `sum`: the sum of `terms`, at most `cap` when given.
- `switch`: the node of `cases[value of fact]` (or `default`), a table lookup.
- `rank_linear`: `base - step * (rank - 1)`, never below 0.
- `rank_table`: `values[rank - 1]`, 0 beyond the listed ranks.
- `steps`: the node of the highest threshold not above the fact (thresholds ascending,
  `null` is the lowest), e.g. bonus tiers by characters or a rate that changed in a year.
- `first_present`: the node of the first optional fact that was given, else `default`.
- `passed`: the node `node`, unless the optional exam result `fact` was given and is below
  `mark`: then 0 with reason "failed" (seed 002: 公需科目考试合格 60分以上).

Every node may carry `text`, a Chinese template formatted with `value`, `units`, `rate`,
`hours` and `unit`; without it a plain default is written. The texts of a claim's nodes are
joined into its explanation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.rules.model import ANNUAL_TOTAL, REASONS, FactSpec, RuleError

OPS = (
    "full",
    "fixed",
    "per",
    "sum",
    "switch",
    "rank_linear",
    "rank_table",
    "steps",
    "first_present",
    "passed",
)


@dataclass(frozen=True)
class Outcome:
    hours: int
    full_year: bool
    text: str
    reason: str | None = None  # "not_completed" when a node says why it is 0
    reason_text: str = ""


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, **values: object) -> str:
    return template.format_map(_Values(values))


def join(*parts: str) -> str:
    return "，".join(p for p in parts if p)


def switch_key(value: object) -> str:
    """The `cases` key of a fact value: choices as they are, ints in decimal, bools as words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate(
    node: Mapping[str, Any], facts: Mapping[str, object], specs: Mapping[str, FactSpec]
) -> Outcome:
    """Compute one node for normalised facts (see `portal.rules.engine.validate_facts`)."""
    op = node["op"]
    text = node.get("text")

    def need(name: str) -> Any:
        value = facts.get(name)
        if value is None:
            spec = specs[name]
            raise RuleError(f"请填写“{spec.label}”", fact=name, fact_label=spec.label)
        return value

    if op == "full":
        return Outcome(ANNUAL_TOTAL, True, text or "视同完成年度全部学时")
    if op == "fixed":
        hours = int(node["hours"])
        return Outcome(
            hours,
            False,
            _fill(text, hours=hours) if text is not None else f"认定{hours}学时",
            node.get("reason"),
            node.get("reason_text", ""),
        )
    if op == "per":
        name = node["fact"]
        value = int(need(name))
        block = int(node.get("block", 1))
        rate = int(node["rate"])
        units = value // block
        hours = units * rate
        unit = specs[name].unit
        if text is None:
            if block == 1:
                text = "{label}{value}{unit}×{rate}学时"
            else:
                text = "{label}{value}{unit}，按整{block}{unit}计{units}×{rate}学时"
        return Outcome(
            hours,
            False,
            _fill(
                text,
                label=specs[name].label,
                value=value,
                unit=unit,
                rate=rate,
                units=units,
                block=block,
                hours=hours,
            ),
        )
    if op == "sum":
        outs = [evaluate(term, facts, specs) for term in node["terms"]]
        raw = sum(o.hours for o in outs)
        hours = raw
        # Terms that add nothing are left out of the text when others add something.
        texts = [o.text for o in outs if o.hours or not raw]
        cap = node.get("cap")
        if cap is not None and raw > cap:
            hours = int(cap)
            texts.append(f"合计{raw}学时，最多认定{cap}学时")
        return Outcome(hours, False, join(*texts) if text is None else _fill(text, hours=hours))
    if op == "switch":
        name = node["fact"]
        value = need(name)
        key = switch_key(value)
        child = node["cases"].get(key, node.get("default"))
        if child is None:  # guarded at load time; kept for hand-built rule sets
            raise RuleError(f"取值“{value}”没有对应的认定标准", fact=name)
        out = evaluate(child, facts, specs)
        if node.get("silent"):
            prefix = ""
        else:
            labels = node.get("labels", {})
            prefix = labels.get(key) or specs[name].choice_label(key)
            if specs[name].type != "choice" and key not in labels:
                prefix = ""
        return Outcome(
            out.hours, out.full_year, join(prefix, out.text), out.reason, out.reason_text
        )
    if op == "rank_linear":
        name = node.get("fact", "rank")
        k = int(need(name))
        base, step = int(node["base"]), int(node["step"])
        reduction = step * (k - 1)
        hours = max(0, base - reduction)
        who = node.get("who", "排名第一位")
        parts = [node.get("lead") or f"{who}{base}学时"]
        if k > 1:
            parts.append(f"第{k}位递减{reduction}学时" + ("（最低为0）" if hours == 0 else ""))
        return Outcome(hours, False, text if text is not None else join(*parts))
    if op == "rank_table":
        name = node.get("fact", "rank")
        k = int(need(name))
        values = [int(v) for v in node["values"]]
        who = node.get("who", "")
        if k <= len(values):
            hours = values[k - 1]
            default = f"{who}第{k}位认定{hours}学时"
        else:
            hours = 0
            default = f"{who}仅前{len(values)}名认定学时，第{k}位不计学时"
        return Outcome(hours, False, default if text is None else _fill(text, hours=hours))
    if op == "steps":
        name = node["fact"]
        value = int(need(name))
        chosen = None
        for threshold, child in node["steps"]:
            if threshold is None or value >= threshold:
                chosen = child
        if chosen is None:
            raise RuleError(f"取值“{value}”没有对应的认定标准", fact=name)
        out = evaluate(chosen, facts, specs)
        out_text = out.text.replace("{value}", str(value))
        return Outcome(out.hours, out.full_year, out_text, out.reason, out.reason_text)
    if op == "passed":
        name, mark = node["fact"], int(node["mark"])
        score = facts.get(name)
        if score is not None and int(score) < mark:
            said = f"{specs[name].label}{score}分，低于{mark}分（不合格），不认定学时"
            return Outcome(0, False, said, "failed", said)
        out = evaluate(node["node"], facts, specs)
        shown = join(f"{specs[name].label}{score}分（合格）", out.text) if score is not None else ""
        return Outcome(out.hours, out.full_year, shown or out.text, out.reason, out.reason_text)
    if op == "first_present":
        for option in node["options"]:
            if facts.get(option["fact"]) is not None:
                return evaluate(option["node"], facts, specs)
        return evaluate(node["default"], facts, specs)
    raise RuleError(f"未知的计算方式“{op}”")


def check(node: Any, specs: Mapping[str, FactSpec], where: str) -> None:
    """Reject a malformed formula when the rule set loads, not when a claim arrives."""

    def fail(message: str) -> None:
        raise RuleError(f"规则集数据错误（{where}）：{message}")

    def fact_of(name: Any, types: tuple[str, ...]) -> FactSpec:
        if name not in specs:
            fail(f"引用了未定义的事实项“{name}”")
        if specs[name].type not in types:
            fail(f"事实项“{name}”的类型应为{'/'.join(types)}")
        return specs[name]

    def count(value: Any, label: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail(f"{label}应为非负整数")

    if not isinstance(node, Mapping) or node.get("op") not in OPS:
        fail(f"未知的计算节点 {node!r}")
    op = node["op"]
    if op == "fixed":
        count(node.get("hours"), "hours")
        if node.get("reason") not in (None, *REASONS):
            fail(f"未知的原因“{node.get('reason')}”")
    elif op == "per":
        fact_of(node.get("fact"), ("int",))
        count(node.get("rate"), "rate")
        count(node.get("block", 1), "block")
        if node.get("block", 1) == 0:
            fail("block不能为0")
    elif op == "sum":
        terms = node.get("terms")
        if not isinstance(terms, list) or not terms:
            fail("sum需要terms")
        for term in terms:
            check(term, specs, where)
            if term.get("op") == "full":
                fail("sum中不能包含full")
        if node.get("cap") is not None:
            count(node["cap"], "cap")
    elif op == "switch":
        spec = fact_of(node.get("fact"), ("choice", "int", "bool"))
        cases = node.get("cases")
        if not isinstance(cases, Mapping):
            fail("switch需要cases")
        for child in cases.values():
            check(child, specs, where)
        if "default" in node:
            check(node["default"], specs, where)
        elif spec.type == "choice":
            missing = [v for v, _ in spec.choices if v not in cases]
            if missing:
                fail(f"switch未覆盖取值 {missing}")
        elif spec.type == "bool":
            if set(cases) != {"true", "false"}:
                fail("bool的switch需要true与false两种情况")
        else:
            fail("int的switch需要default")
        if spec.type == "choice":
            unknown = [key for key in cases if key not in dict(spec.choices)]
            if unknown:
                fail(f"switch含有不存在的取值 {unknown}")
    elif op in ("rank_linear", "rank_table"):
        fact_of(node.get("fact", "rank"), ("int",))
        if op == "rank_linear":
            count(node.get("base"), "base")
            count(node.get("step"), "step")
        else:
            values = node.get("values")
            if not isinstance(values, list) or not values:
                fail("rank_table需要values")
            for value in values:
                count(value, "values")
    elif op == "steps":
        fact_of(node.get("fact"), ("int",))
        steps = node.get("steps")
        if not isinstance(steps, list) or not steps or steps[0][0] is not None:
            fail("steps需要以null开头的阈值列表")
        thresholds = [t for t, _ in steps[1:]]
        if thresholds != sorted(thresholds) or any(not isinstance(t, int) for t in thresholds):
            fail("steps的阈值应为递增整数")
        for _, child in steps:
            check(child, specs, where)
    elif op == "passed":
        fact_of(node.get("fact"), ("int",))
        count(node.get("mark"), "mark")
        check(node.get("node"), specs, where)
    elif op == "first_present":
        options = node.get("options")
        if not isinstance(options, list) or "default" not in node:
            fail("first_present需要options与default")
        for option in options:
            if option.get("fact") not in specs:
                fail(f"引用了未定义的事实项“{option.get('fact')}”")
            check(option.get("node"), specs, where)
        check(node["default"], specs, where)
