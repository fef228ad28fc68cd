"""The exchange format, version 2 (`county-registration-export/2`): what one registered year
carries, as JSON (the JSON Schema below, published at /api/v1/schema/registration-export.json)
and as Excel (YEAR_COLUMNS on the first sheet, CLAIM_COLUMNS on the second).

A document: {"format", "county": {"name", "code"}, "exported_at", "year", "since", "count",
"records": [record, ...]}; "county" is the exporting bureau: a county's, or a city's for the
city's file of all its counties. One record is one person's registered year:

- who: name, id_number (18 characters, X upper case), unit and uscc at the time (empty for a
  freelancer), title_series and title_level held in the year;
- the year: rule_set (anhui-2025 / hefei-2021), general, professional, total (hours counted),
  compliant;
- where it was registered (`registration_of`, the one mapping from the stored fields):
  source ("portal" declared and registered here; "paper" entered here from the paper
  继续教育证书 of a year before the portal; "elsewhere" imported from another county's file),
  paper (true for a paper year), county (the county that registered it), county_code (the
  code of the county the year belongs to here: a city's file holds its counties' years; not
  required, files written before it lack it), registered_by
  (which body: the bureau, the unit that entered a paper year, or the other county),
  registered_on (date) and registered_at (time, UTC, ISO 8601);
- review: body ("unit" / "bureau" / null), body_name, reviewer, reviewed_at, and first_step
  (the authority's or unit's check of the professional claims when two-step review was on,
  else null);
- publicity: the batch (batch_id, title, start_date, end_date), null for paper and imported
  years;
- certificate_number (empty until the person's certificate is first printed);
- claims: each counted claim (kind, kind_label, item = its 第十二条 item, title, date,
  issuer, subject, hours by the table, counted_general, counted_professional, decision,
  exam_score where there is one, filing_number for a filed training, reported_by when a
  provider or platform reported it).

A new version changes FORMAT's number; readers refuse a version they do not know.
"""

from __future__ import annotations

from portal import rules
from portal.declarations.models import Claim, Declaration, DeclarationSource, ReviewingBody
from portal.declarations.paper import PAPER_KIND

FORMAT = "county-registration-export/2"
SCHEMA_ID = "registration-export.json"

# --- JSON Schema (draft 2020-12) ---------------------------------------------------------------

_TEXT = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_HOURS = {"type": "integer", "minimum": 0}


def _text(description: str) -> dict:
    return {**_TEXT, "description": description}


CLAIM_SCHEMA = {
    "type": "object",
    "description": "一条计入学时的申报条目",
    "required": [
        "kind",
        "kind_label",
        "item",
        "title",
        "date",
        "issuer",
        "subject",
        "hours",
        "counted_general",
        "counted_professional",
        "decision",
        "exam_score",
        "filing_number",
        "reported_by",
    ],
    "additionalProperties": False,
    "properties": {
        "kind": _text("申报类别代码（规则集中的类别，如 training、courseware）"),
        "kind_label": _text("申报类别名称"),
        "item": _text("对应《办法》第十二条的项，如“第十二条（二）”；纸质证书年度为空"),
        "title": _text("名称（培训主题、课程、论文题目……）"),
        "date": _text("日期（按申报填写，如 2025-09-15 或 2025-09-15至2025-09-16）"),
        "issuer": _text("颁发、主办或施教单位"),
        "subject": {"enum": ["general", "professional"], "description": "科目：公需/专业"},
        "hours": {**_HOURS, "description": "按折算表计算的学时"},
        "counted_general": {**_HOURS, "description": "计入登记的公需科目学时"},
        "counted_professional": {**_HOURS, "description": "计入登记的专业科目学时"},
        "decision": {
            "enum": ["accepted", "reduced", "refused", None],
            "description": "核验结论：认定、核减认定、不予认定；纸质证书与外县年度为 null",
        },
        "exam_score": {
            "type": ["integer", "null"],
            "description": "考试成绩（分），没有考试的为 null",
        },
        "filing_number": {
            "type": ["string", "null"],
            "description": "培训计划备案号（已备案的培训），其他为 null",
        },
        "reported_by": {
            "enum": ["", "qualified_list", "courseware"],
            "description": "由施教机构（合格人员名单）或网络学习平台报送；本人填写的为空",
        },
    },
}

STEP_SCHEMA = {
    "type": "object",
    "required": ["body_name", "reviewer", "reviewed_at"],
    "additionalProperties": False,
    "properties": {
        "body_name": _text("核验单位（行业主管部门、用人单位或人社局）"),
        "reviewer": _text("经办人"),
        "reviewed_at": _TIME,
    },
}

RECORD_SCHEMA = {
    "type": "object",
    "description": "一人一个已登记年度",
    "required": [
        "name",
        "id_number",
        "unit",
        "uscc",
        "title_series",
        "title_level",
        "year",
        "rule_set",
        "general",
        "professional",
        "total",
        "compliant",
        "source",
        "paper",
        "county",
        "registered_by",
        "registered_on",
        "registered_at",
        "review",
        "publicity",
        "certificate_number",
        "claims",
    ],
    "additionalProperties": False,
    "properties": {
        "name": _text("姓名"),
        "id_number": {
            "type": "string",
            "pattern": "^[0-9]{17}[0-9X]$",
            "description": "身份证号码（18位，末位 X 大写）",
        },
        "unit": _text("工作单位（自由职业者为空）"),
        "uscc": _text("统一社会信用代码（自由职业者为空）"),
        "title_series": _text("职称系列"),
        "title_level": _text("职称级别"),
        "year": {"type": "integer", "minimum": 2000, "maximum": 2100, "description": "年度"},
        "rule_set": _text("适用的规则集：anhui-2025（109号办法）或 hefei-2021（合肥明细表）"),
        "general": {**_HOURS, "description": "公需科目学时"},
        "professional": {**_HOURS, "description": "专业科目学时"},
        "total": {**_HOURS, "description": "总学时"},
        "compliant": {"type": "boolean", "description": "是否达到年度学时要求"},
        "source": {
            "enum": [s.value for s in DeclarationSource],
            "description": "portal 本系统申报登记；paper 纸质证书录入；elsewhere 外县（市）登记后导入",
        },
        "paper": {"type": "boolean", "description": "是否根据纸质继续教育证书录入"},
        "county": _text("登记该年度的县（市）人社局"),
        "registered_by": _text("登记（录入）单位"),
        "registered_on": {**_DATE, "description": "登记日期"},
        "registered_at": {**_TIME, "description": "登记时间（UTC）"},
        "county_code": {
            "type": "string",
            "pattern": "^[0-9]{6}$",
            "description": "该年度所属县（市、区）的行政区划代码（GB/T 2260）：市的导出文件含其各县的"
            "记录，以此区分（本字段自2026年12月起写出，此前导出的文件没有）",
        },
        "review": {
            "type": "object",
            "required": ["body", "body_name", "reviewer", "reviewed_at", "first_step"],
            "additionalProperties": False,
            "properties": {
                "body": {"enum": ["unit", "bureau", None], "description": "核验单位类别"},
                "body_name": _text("核验单位"),
                "reviewer": _text("经办人"),
                "reviewed_at": _TIME,
                "first_step": {
                    "oneOf": [{"type": "null"}, {"$ref": "#/$defs/step"}],
                    "description": "两步核验时第一步（专业科目）的核验",
                },
            },
        },
        "publicity": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["batch_id", "title", "start_date", "end_date"],
                    "additionalProperties": False,
                    "properties": {
                        "batch_id": {"type": "integer"},
                        "title": _text("公示批次"),
                        "start_date": _DATE,
                        "end_date": _DATE,
                    },
                },
            ],
            "description": "公示批次与起止日期（纸质证书、外县年度为 null）",
        },
        "certificate_number": _text("学时登记证书编号（尚未打印证书的为空）"),
        "claims": {"type": "array", "items": {"$ref": "#/$defs/claim"}},
    },
}

DOCUMENT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "继续教育学时登记数据交换格式（第2版）",
    "type": "object",
    "required": ["format", "county", "exported_at", "year", "since", "count", "records"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": FORMAT},
        "county": {
            "type": "object",
            "required": ["name", "code"],
            "additionalProperties": False,
            "properties": {
                "name": _text("导出数据的县（市）或市人社局"),
                "code": _text("行政区划代码（市的导出文件为市的代码）"),
            },
        },
        "exported_at": {"type": "string", "format": "date-time"},
        "year": {"type": ["integer", "null"], "description": "导出的年度（按时间导出时为 null）"},
        "since": {**_TIME, "description": "只含此时间以后登记或变化的记录"},
        "count": {"type": "integer", "minimum": 0},
        "records": {"type": "array", "items": {"$ref": "#/$defs/record"}},
    },
    "$defs": {"record": RECORD_SCHEMA, "claim": CLAIM_SCHEMA, "step": STEP_SCHEMA},
}

# --- Excel: the columns of the two sheets --------------------------------------------------------

YEAR_SHEET, CLAIM_SHEET = "登记年度", "认定条目"
YEAR_COLUMNS = [
    ("name", "姓名"),
    ("id_number", "身份证号码"),
    ("unit", "工作单位"),
    ("uscc", "统一社会信用代码"),
    ("title_series", "职称系列"),
    ("title_level", "职称级别"),
    ("year", "年度"),
    ("rule_set", "规则集"),
    ("general", "公需科目学时"),
    ("professional", "专业科目学时"),
    ("total", "总学时"),
    ("compliant", "是否达标"),
    ("source", "来源"),
    ("paper", "纸质证书录入"),
    ("county", "登记县（市）"),
    ("registered_by", "登记单位"),
    ("registered_on", "登记日期"),
    ("review.body_name", "核验单位"),
    ("review.reviewer", "核验经办人"),
    ("review.reviewed_at", "核验时间"),
    ("review.first_step.body_name", "专业科目核验单位（两步核验）"),
    ("review.first_step.reviewed_at", "专业科目核验时间"),
    ("publicity.title", "公示批次"),
    ("publicity.start_date", "公示开始"),
    ("publicity.end_date", "公示结束"),
    ("certificate_number", "证书编号"),
    ("county_code", "所属县（市、区）代码"),
]
CLAIM_COLUMNS = [
    ("id_number", "身份证号码"),
    ("year", "年度"),
    ("kind_label", "申报类别"),
    ("item", "第十二条"),
    ("title", "名称"),
    ("date", "日期"),
    ("issuer", "颁发（主办）单位"),
    ("subject", "科目"),
    ("hours", "折算学时"),
    ("counted_general", "计入公需科目学时"),
    ("counted_professional", "计入专业科目学时"),
    ("decision", "核验结论"),
    ("exam_score", "考试成绩"),
    ("filing_number", "备案号"),
]


def column_value(record: dict, path: str):
    """A dotted path into a record ("review.first_step.body_name"); "" where a part is null."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


# The workbook is read by people: the source in words (the JSON keeps the codes).
SOURCE_WORDS = {"portal": "本系统登记", "paper": "纸质证书录入", "elsewhere": "外县（市）登记"}


def excel_value(record: dict, path: str):
    """A cell of the Excel face: column_value, with the source in words."""
    value = column_value(record, path)
    return SOURCE_WORDS.get(value, value) if path == "source" else value


def excel_layout() -> dict:
    """The column lists as published under /api/v1/ (key, heading, in order)."""
    return {
        "format": FORMAT,
        "sheets": [
            {"title": YEAR_SHEET, "columns": [{"key": k, "heading": h} for k, h in YEAR_COLUMNS]},
            {"title": CLAIM_SHEET, "columns": [{"key": k, "heading": h} for k, h in CLAIM_COLUMNS]},
        ],
    }


# --- one record ------------------------------------------------------------------------------


def _time(value) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def registration_of(declaration: Declaration, bureau: str) -> dict:
    """Where and by whom the year was registered, from the stored fields: the one mapping of
    portal, paper and imported years (a paper year is entered by the bureau or by the
    person's unit; an imported one names the county that registered it, and stays marked as
    paper when it was one there)."""
    source = declaration.source
    if source is DeclarationSource.ELSEWHERE:
        county = by = declaration.source_county
    elif source is DeclarationSource.PAPER and (
        declaration.reviewing_body is ReviewingBody.UNIT and declaration.unit is not None
    ):
        county, by = bureau, declaration.unit.name
    else:
        county = by = bureau
    # A paper year keeps its mark when another county imports it: its one claim is the paper's.
    paper = source is DeclarationSource.PAPER or (
        source is DeclarationSource.ELSEWHERE
        and any(claim.kind == PAPER_KIND for claim in declaration.claims)
    )
    return {
        "source": source.value,
        "paper": paper,
        "county": county,
        "registered_by": by,
        "registered_on": declaration.registered_on.isoformat() if declaration.registered_on else "",
        "registered_at": _time(declaration.registered_at),
    }


def _review(declaration: Declaration, bureau: str) -> dict:
    body = declaration.reviewing_body
    if body is ReviewingBody.UNIT and declaration.unit is not None:
        body_name = declaration.unit.name
    elif body is ReviewingBody.BUREAU:
        body_name = bureau
    else:
        body_name = declaration.source_county or ""
    first = None
    if declaration.two_step:
        first = {
            "body_name": declaration.first_step_label,
            "reviewer": declaration.first_reviewer.name if declaration.first_reviewer else "",
            "reviewed_at": _time(declaration.first_reviewed_at),
        }
    return {
        "body": body.value if body else None,
        "body_name": body_name,
        "reviewer": declaration.reviewer.name if declaration.reviewer else "",
        "reviewed_at": _time(declaration.reviewed_at),
        "first_step": first,
    }


def _kind(rule_set: str, kind: str) -> tuple[str, str]:
    """(label, 第十二条 item) of a kind in the rule set; a paper year's one claim has neither."""
    if kind == PAPER_KIND:
        return "纸质继续教育证书", ""
    try:
        spec = rules.get_rule_set(rule_set).kind(kind)
    except rules.RuleError:
        return kind, ""
    return spec.label, spec.clause


def claim_record(declaration: Declaration, claim: Claim, filing: str | None) -> dict:
    details = claim.details or {}
    score = (claim.facts or {}).get("score")
    label, item = _kind(declaration.rule_set, claim.kind)
    return {
        "kind": claim.kind,
        "kind_label": label,
        "item": item,
        "title": str(details.get("title") or ""),
        "date": str(details.get("date") or ""),
        "issuer": str(details.get("issuer") or ""),
        "subject": claim.subject if claim.subject in ("general", "professional") else "general",
        "hours": max(claim.hours or 0, 0),
        "counted_general": claim.counted_general or 0,
        "counted_professional": claim.counted_professional or 0,
        "decision": claim.decision.value if claim.decision else None,
        "exam_score": score if isinstance(score, int) and not isinstance(score, bool) else None,
        "filing_number": filing or (str(details["plan_no"]) if details.get("plan_no") else None),
        "reported_by": claim.source or "",
    }


def counted(claim: Claim) -> bool:
    """A claim that counted towards the registered hours (refused ones are left out)."""
    return bool((claim.counted_general or 0) + (claim.counted_professional or 0))


def year_record(
    declaration: Declaration,
    *,
    person,
    series: str | None,
    level,
    certificate: str | None,
    bureau: str,
    filings: dict[int, str],
    batch,
) -> dict:
    """One registered year in the format above (the unit the year was declared under, else
    the person's)."""
    unit = declaration.unit or person.unit
    return {
        "name": person.name,
        "id_number": person.id_number,
        "unit": unit.name if unit else "",
        "uscc": unit.uscc if unit else "",
        # The title held in the year; the registration form's words where none is recorded.
        "title_series": series or person.title_series or "",
        "title_level": level.label if level else person.title_level or "",
        "year": declaration.year,
        "rule_set": declaration.rule_set,
        "general": declaration.general_hours or 0,
        "professional": declaration.professional_hours or 0,
        "total": declaration.total_hours or 0,
        "compliant": bool(declaration.compliant),
        **registration_of(declaration, bureau),
        "county_code": declaration.jurisdiction_code,
        "review": _review(declaration, bureau),
        "publicity": {
            "batch_id": batch.id,
            "title": batch.title,
            "start_date": batch.start_date.isoformat(),
            "end_date": batch.end_date.isoformat(),
        }
        if batch is not None
        else None,
        "certificate_number": certificate or "",
        "claims": [
            claim_record(declaration, claim, filings.get(claim.plan_id))
            for claim in declaration.claims
            if counted(claim)
        ],
    }
