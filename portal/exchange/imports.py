"""The other direction: registered years from another county's exchange file (a person who
moved in), `flask import registrations FILE`.

The file is the JSON of portal.exchange.format (checked against its JSON Schema and version);
`plan` says what would be added and what is left out and why; `apply` adds the years as
registered elsewhere (source "elsewhere", `source_county` naming the county that registered
each), through the lifecycle's `import_elsewhere` move. A year this county already has for the
person (registered, or declared in any state) is never overwritten: it is left out and named.
A person not known here is added (confirmed, without a unit: their unit here is entered when
they register or the bureau moves them). Operations flush, never commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

import jsonschema
import sqlalchemy as sa

from portal import rules
from portal.accounts.idnumbers import birth_date, clean_id_number
from portal.accounts.models import PersonStatus, Professional, User, mask_id_number
from portal.audit.service import record
from portal.board.service import years_registered
from portal.declarations import lifecycle
from portal.declarations.lifecycle import Action
from portal.declarations.models import (
    Claim,
    ClaimDecision,
    Declaration,
    DeclarationSource,
    ReviewingBody,
)
from portal.exchange import format as fmt_
from portal.extensions import db
from portal.refusal import INVALID, Refusal


@dataclass
class ImportPlan:
    county: dict
    add: list[dict] = field(default_factory=list)  # the records to add
    skipped: list[dict] = field(default_factory=list)  # {"id_number", "year", "reason"}
    new_people: int = 0

    def as_json(self) -> dict:
        """What would be added (ID numbers masked: the summary goes to a terminal and a log)."""
        return {
            "county": self.county,
            "records": len(self.add) + len(self.skipped),
            "add": [
                {
                    "name": r["name"],
                    "id_number": mask_id_number(r["id_number"]),
                    "year": r["year"],
                    "county": r["county"],
                    "general": r["general"],
                    "professional": r["professional"],
                }
                for r in self.add
            ],
            "new_people": self.new_people,
            "skipped": self.skipped,
        }


def read_document(data: bytes) -> dict:
    """The file's document, checked against the published schema; a Refusal saying what is
    wrong (the first problem, where it is) when it is not one."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Refusal(
            "无法读取该文件：应为本系统导出的 JSON 数据交换文件。", INVALID, field="file"
        ) from error
    if not isinstance(document, dict) or document.get("format") != fmt_.FORMAT:
        given = document.get("format") if isinstance(document, dict) else None
        raise Refusal(
            f"文件格式版本“{str(given)[:60]}”不受支持，应为“{fmt_.FORMAT}”。",
            INVALID,
            field="file",
        )
    validator = jsonschema.Draft202012Validator(
        fmt_.DOCUMENT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "（文件）"
        raise Refusal(f"文件不符合数据交换格式：{where}：{_problem(error)}", INVALID)
    return document


_PROBLEMS = {
    "type": "类型不对",
    "enum": "取值不在允许的范围内",
    "const": "取值不对",
    "pattern": "格式不对",
    "format": "格式不对",
    "minimum": "数值过小",
    "maximum": "数值过大",
    "additionalProperties": "含有格式中没有的字段",
    "oneOf": "内容不符合格式",
}


def _problem(error: jsonschema.ValidationError) -> str:
    """What is wrong, in Chinese (the field that is missing, or the kind of problem)."""
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return "缺少字段 " + "、".join(missing)
    return _PROBLEMS.get(str(error.validator), "内容不符合格式")


def _person(id_number: str) -> Professional | None:
    return db.session.scalar(sa.select(Professional).where(Professional.id_number == id_number))


def plan(document: dict, here: dict) -> ImportPlan:
    """What the file would add here (`here`: this county as files name it)."""
    if document["county"]["code"] == here["code"] and document["county"]["name"] == here["name"]:
        raise Refusal("该文件是本县（市）导出的，不需要导入。", INVALID, field="file")
    result = ImportPlan(county=document["county"])
    seen: set[tuple[str, int]] = set()
    new_people: set[str] = set()
    for record_ in document["records"]:
        year = record_["year"]
        try:
            id_number = clean_id_number(record_["id_number"])
        except ValueError as error:
            result.skipped.append(
                {"id_number": record_["id_number"][:4] + "…", "year": year, "reason": str(error)}
            )
            continue
        masked = mask_id_number(id_number)
        if (id_number, year) in seen:
            result.skipped.append({"id_number": masked, "year": year, "reason": "文件中重复"})
            continue
        seen.add((id_number, year))
        if record_["county"] == here["name"]:
            reason = "该年度由本县（市）登记"
            result.skipped.append({"id_number": masked, "year": year, "reason": reason})
            continue
        person = _person(id_number)
        existing = None
        if person is not None:
            existing = db.session.scalar(
                sa.select(Declaration).where(
                    Declaration.professional_id == person.id, Declaration.year == year
                )
            )
        if existing is not None:
            reason = f"本县（市）已有该年度记录（{existing.status.label}），不覆盖"
            result.skipped.append({"id_number": masked, "year": year, "reason": reason})
            continue
        if person is None:
            new_people.add(id_number)
        result.add.append({**record_, "id_number": id_number})
    result.new_people = len(new_people)
    return result


def _rule_set(record_: dict) -> str:
    try:
        return rules.get_rule_set(record_["rule_set"]).id
    except rules.RuleError:
        return rules.rule_set_for_year(record_["year"]).id


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _claim(position: int, item: dict) -> Claim:
    facts = {"score": item["exam_score"]} if item["exam_score"] is not None else {}
    details = {
        key: value
        for key, value in (
            ("title", item["title"]),
            ("date", item["date"]),
            ("issuer", item["issuer"]),
            ("plan_no", item["filing_number"] or ""),
        )
        if value
    }
    return Claim(
        position=position,
        kind=item["kind"][:40],
        subject=item["subject"],
        facts=facts,
        details=details,
        hours=item["hours"],
        clause=item["item"][:60],
        decision=ClaimDecision(item["decision"]) if item["decision"] else None,
        counted_general=item["counted_general"],
        counted_professional=item["counted_professional"],
    )


def apply(result: ImportPlan, user: User | None = None) -> list[Declaration]:
    """Add the planned years as registered elsewhere; one audit event per year and one for the
    file."""
    added = []
    for record_ in result.add:
        person = _person(record_["id_number"])
        if person is None:
            person = Professional(
                id_number=record_["id_number"],
                name=record_["name"][:50],
                birth_date=birth_date(record_["id_number"]),
                title_series=record_["title_series"][:50],
                title_level=record_["title_level"][:20],
                status=PersonStatus.CONFIRMED,
            )
            db.session.add(person)
        review = record_["review"]
        body = review["body"]
        declaration = Declaration(
            professional=person,
            year=record_["year"],
            rule_set=_rule_set(record_),
            source=DeclarationSource.ELSEWHERE,
            source_county=record_["county"][:100],
            reviewing_body=ReviewingBody(body) if body else None,
            reviewed_at=_moment(review["reviewed_at"]),
            review_note=f"{record_['county']}登记（{review['body_name']}核验）"[:500],
            general_hours=record_["general"],
            professional_hours=record_["professional"],
            total_hours=record_["total"],
            compliant=record_["compliant"],
            registered_at=_moment(record_["registered_at"]),
            registered_on=date.fromisoformat(record_["registered_on"]),
        )
        for position, item in enumerate(record_["claims"]):
            declaration.claims.append(_claim(position, item))
        db.session.add(declaration)
        db.session.flush()  # a draft, for the one move the lifecycle allows from it
        lifecycle.transition(user, declaration, Action.IMPORT_ELSEWHERE)
        record(
            "declaration.imported",
            declaration,
            user=user,
            detail=f"{record_['county']}登记：公需{record_['general']}学时，"
            f"专业{record_['professional']}学时",
        )
        added.append(declaration)
    record(
        "exchange.import_registrations",
        None,
        user=user,
        detail=f"来自{result.county['name']}：新增 {len(added)} 个年度"
        f"（新增人员 {result.new_people} 人），未导入 {len(result.skipped)} 条",
    )
    db.session.flush()
    if added:  # a registration batch too: the statistics of its counties and years are stale
        years_registered.send(user, declarations=added)
    return added
