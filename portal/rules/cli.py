"""`rules` commands: evaluate a year or verify a cycle from stdin, list the rule sets.

The lead registers `rules` on the app, so they run as `flask --app portal rules ...`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from portal.rules.cycle import cycle_from_mapping, verify_cycle
from portal.rules.engine import claim_from_mapping, evaluate_year
from portal.rules.model import SCOPE_CLAUSE, SCOPES, SUBJECT_LABELS, RuleError
from portal.rules.registry import get_rule_set, rule_set_for_year, rule_set_ids

EXIT_BAD_INPUT = 2


def _year(request: dict[str, Any]) -> int | None:
    year = request.get("year")
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2100:
        raise RuleError(
            f"year 应为1949至2100之间的整数年份，收到“{year}”", fact="year", fact_label="年度"
        )
    return year


def evaluate_request(request: Any) -> dict[str, Any]:
    """Evaluate a parsed request object; raises RuleError for any bad input."""
    if not isinstance(request, dict):
        raise RuleError("请求应为JSON对象")
    year = _year(request)
    rule_set_id = request.get("rule_set")
    if rule_set_id is None:
        if year is None:
            raise RuleError("请提供 rule_set 或 year", fact="rule_set", fact_label="规则集")
        rule_set = rule_set_for_year(
            year, request.get("elect"), bool(request.get("allow_transition", False))
        )
    elif isinstance(rule_set_id, str):
        rule_set = get_rule_set(rule_set_id)
    else:
        raise RuleError("rule_set 应为字符串", fact="rule_set", fact_label="规则集")
    raw_claims = request.get("claims", [])
    if not isinstance(raw_claims, list):
        raise RuleError("claims 应为数组", fact="claims", fact_label="申报条目")
    claims = [claim_from_mapping(item, index) for index, item in enumerate(raw_claims)]
    result = evaluate_year(
        rule_set,
        year,
        claims,
        require_subject=bool(request.get("require_subject", False)),
        highest_only_scope=_scope(request.get("policy")),
    )
    return result.as_dict()


def _scope(policy: Any) -> str:
    """The bureau's highest-only scope from the request's optional `policy` object."""
    if policy is None:
        return SCOPE_CLAUSE
    if not isinstance(policy, dict):
        raise RuleError("policy 应为对象（键值对）", fact="policy", fact_label="认定政策")
    scope = policy.get("highest_only", SCOPE_CLAUSE)
    if scope not in SCOPES:
        raise RuleError(
            f"policy.highest_only 应为 clause 或 claim，收到“{scope}”",
            fact="highest_only",
            fact_label="就高原则范围",
        )
    return scope


@click.group("rules", help="学时认定规则：计算申报、验证任职周期、列出规则集。")
def rules() -> None:
    """Hour-conversion rules."""


def cycle_request(request: Any) -> dict[str, Any]:
    """Verify a parsed `rules cycle` request; raises RuleError for any bad input."""
    years, policy, cross_major = cycle_from_mapping(request)
    return verify_cycle(years, policy, cross_major).as_dict()


def _answer(handle: Any) -> None:
    """JSON on stdin -> `handle` -> JSON on stdout; bad input: one line on stderr, exit 2."""
    raw = sys.stdin.buffer.read()  # bytes: the request is UTF-8 whatever the locale says
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        click.echo("错误：请求不是UTF-8编码的JSON", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        try:
            request = json.loads(text)
        except json.JSONDecodeError as error:
            raise RuleError(
                f"请求不是有效的JSON（第{error.lineno}行第{error.colno}列：{error.msg}）"
            ) from None
        output = handle(request)
    except RuleError as error:
        click.echo(f"错误：{error}".replace("\n", " "), err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(json.dumps(output, ensure_ascii=False))


@rules.command("evaluate", help="从标准输入读取JSON申报，向标准输出写出JSON结果。")
def evaluate_command() -> None:
    """JSON on stdin -> JSON on stdout; bad input: one line on stderr, exit status 2."""
    _answer(evaluate_request)


@rules.command("cycle", help="从标准输入读取任职周期各年度学时（JSON），输出学时验证结果。")
def cycle_command() -> None:
    """Cycle verification: JSON on stdin -> JSON on stdout; bad input: exit status 2."""
    _answer(cycle_request)


@rules.command("list", help="列出规则集及其申报类别。")
def list_command() -> None:
    for rule_set_id in rule_set_ids():
        rule_set = get_rule_set(rule_set_id)
        policy = []
        if rule_set.highest_only:
            policy.append(f"就高原则（{rule_set.highest_only_clause}）")
        else:
            policy.append("累计认定")
        policy.extend(cap.text for cap in rule_set.caps)
        click.echo(f"{rule_set.id}  {rule_set.name}")
        click.echo(f"  依据：{rule_set.source}；自{rule_set.effective_from.isoformat()}起施行")
        click.echo(f"  年度要求：{rule_set.requirement.text}")
        click.echo(f"  规则：{'；'.join(policy)}")
        for category, kinds in rule_set.categories():
            click.echo(f"  【{category}】")
            for kind in kinds:
                facts = "、".join(f.label for f in kind.facts) or "无"
                subject = (
                    SUBJECT_LABELS[kind.subject]
                    if kind.subject
                    else ("本人选择" if kind.conversion else "随课程/培训")
                )
                click.echo(
                    f"    {kind.id:<24}{kind.label}（{kind.clause}）  科目：{subject}"
                    f"  填写：{facts}"
                )
        click.echo("")
