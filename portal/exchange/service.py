"""Export a year's registered records (Excel or JSON, the layout in README.md) and import
people and units from an Excel roster, row by row.

Export fields, in this order (FIELDS): name, id_number, unit, uscc, title_series, title_level,
year, general, professional, total, source, registered_on, certificate_number. `source` is
"portal" for a declaration made and registered in this system. Freelancers have an empty unit
and credit code; a person whose certificate has not been printed yet has an empty number.

Import: the first sheet, a header row then one person a row (ROSTER_COLUMNS, matched by the
Chinese heading). Every row is checked and reported with what became of it; a file with errors
imports nothing unless the clean rows are asked for (`clean_rows`, `--clean-rows`). A person is
matched by ID number or created confirmed (the bureau's roster is the record); an existing
person is never renamed (another name is an error naming both) and a new unit is a move through
the employment history dated the import day. A unit is matched by credit code (created when
new) or, without a code, by its exact name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from io import BytesIO

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from portal.accounts import people
from portal.accounts.idnumbers import birth_date, clean_id_number, clean_uscc
from portal.accounts.models import PersonStatus, Professional, User
from portal.accounts.people import title_in_year
from portal.audit.service import record
from portal.certificates.models import Certificate
from portal.clock import local_today
from portal.declarations.models import Declaration, DeclarationStatus
from portal.extensions import db
from portal.refusal import INVALID, Refusal
from portal.units.models import UNIT_TYPE_LABELS, TitleSeries, Unit

EXPORT_FORMAT = "county-registration-export/1"
FIELDS = [
    ("name", "姓名"),
    ("id_number", "身份证号码"),
    ("unit", "工作单位"),
    ("uscc", "统一社会信用代码"),
    ("title_series", "职称系列"),
    ("title_level", "职称级别"),
    ("year", "年度"),
    ("general", "公需科目学时"),
    ("professional", "专业科目学时"),
    ("total", "总学时"),
    ("source", "来源"),
    ("registered_on", "登记日期"),
    ("certificate_number", "证书编号"),
]
ROSTER_COLUMNS = [
    ("name", "姓名", True),
    ("id_number", "身份证号码", True),
    ("phone", "手机号码", False),
    ("unit", "工作单位", False),
    ("uscc", "统一社会信用代码", False),
    ("unit_type", "单位类型", False),
    ("title_series", "职称系列", False),
    ("title_level", "职称级别", False),
    ("title_name", "职称名称", False),
]
UNIT_TYPES_BY_LABEL = {label: unit_type for unit_type, label in UNIT_TYPE_LABELS.items()}


# --- export ---------------------------------------------------------------------------------


def year_records(year: int) -> list[dict]:
    """The year's registered records in the export layout, by unit and name."""
    title = title_in_year(year)
    rows = db.session.execute(
        sa.select(
            Declaration, Professional, Unit, Certificate.number, TitleSeries.name, title.c.level
        )
        .join(Professional, Declaration.professional_id == Professional.id)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
        .outerjoin(Certificate, Certificate.professional_id == Professional.id)
        .outerjoin(title, title.c.professional_id == Professional.id)
        .outerjoin(TitleSeries, TitleSeries.id == title.c.series_id)
        .where(Declaration.year == year, Declaration.status == DeclarationStatus.REGISTERED)
        .order_by(Unit.name, Professional.name, Professional.id)
    ).all()
    return [
        {
            "name": person.name,
            "id_number": person.id_number,
            "unit": unit.name if unit else "",
            "uscc": unit.uscc if unit else "",
            # The title held in the year; the registration form's words where none is recorded.
            "title_series": series or person.title_series,
            "title_level": level.label if level else person.title_level,
            "year": declaration.year,
            "general": declaration.general_hours or 0,
            "professional": declaration.professional_hours or 0,
            "total": declaration.total_hours or 0,
            "source": "portal",
            "registered_on": declaration.registered_on.isoformat()
            if declaration.registered_on
            else "",
            "certificate_number": number or "",
        }
        for declaration, person, unit, number, series, level in rows
    ]


def export_year(year: int, fmt: str, user: User | None = None, progress=None) -> bytes:
    """The year's file in `fmt` (xlsx or json); audited (the file holds ID numbers)."""
    if fmt not in ("xlsx", "json"):
        raise Refusal(f"不支持的格式“{fmt}”，应为 xlsx 或 json。", INVALID, field="format")
    records = year_records(year)
    if progress is not None:
        progress(len(records), len(records))
    record("exchange.export", None, user=user, detail=f"{year}年度 {len(records)}条，{fmt}")
    if fmt == "json":
        document = {
            "format": EXPORT_FORMAT,
            "year": year,
            "count": len(records),
            "records": records,
        }
        return json.dumps(document, ensure_ascii=False, indent=1).encode()
    book = Workbook()
    sheet = book.active
    sheet.title = f"{year}年度登记"
    sheet.append([heading for _, heading in FIELDS])
    for row in records:
        sheet.append([row[key] for key, _ in FIELDS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    rows: int = 0
    created_people: int = 0
    updated_people: int = 0
    moved_people: int = 0
    created_units: int = 0
    errors: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)  # per row: what happened to it
    applied: bool = True  # False: the file had errors and nothing was imported

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "applied": self.applied,
            "imported": self.created_people + self.updated_people,
            "created_people": self.created_people,
            "updated_people": self.updated_people,
            "moved_people": self.moved_people,
            "created_units": self.created_units,
            "errors": self.errors,
            "outcomes": self.outcomes,
        }

    def line(self) -> str:
        if not self.applied:
            return (
                f"共 {self.rows} 行，有误 {len(self.errors)} 行：未导入任何记录"
                "（请修正后重新导入，或选择“仅导入无误的行”）"
            )
        return (
            f"共 {self.rows} 行：新增人员 {self.created_people} 人，更新 {self.updated_people} 人"
            f"（其中调动 {self.moved_people} 人），新增单位 {self.created_units} 个，"
            f"有误 {len(self.errors)} 行"
        )


def read_roster(data: bytes) -> list[tuple[int, dict]]:
    """(row number, values by key) of the first sheet; a Refusal when the file is unreadable
    or a required column is missing."""
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not xlsx
        raise Refusal(
            "无法读取该文件，请上传 Excel（.xlsx）文件。", INVALID, field="file"
        ) from error
    try:
        return _roster_rows(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()  # a read-only workbook holds its file until closed


def _roster_rows(rows) -> list[tuple[int, dict]]:
    header = [str(c or "").strip() for c in next(rows, ())]
    positions = {}
    for key, heading, required in ROSTER_COLUMNS:
        if heading in header:
            positions[key] = header.index(heading)
        elif required:
            raise Refusal(f"第1行缺少“{heading}”列。", INVALID, field="file")
    result = []
    for number, row in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in row):
            continue
        values = {
            key: str(row[i]).strip() if i < len(row) and row[i] is not None else ""
            for key, i in positions.items()
        }
        result.append((number, values))
    return result


def _unit_for(values: dict, units: dict[str, Unit], summary: ImportSummary, user) -> Unit | None:
    """The row's unit: by credit code (created when new, with its name and type), or, without
    a code, a known unit by its exact name."""
    name = values.get("unit", "")
    if not values.get("uscc"):
        if not name:
            return None  # freelance
        if f"name:{name}" not in units:
            found = db.session.scalars(sa.select(Unit).where(Unit.name == name).limit(2)).all()
            if len(found) > 1:
                raise ValueError(f"有多个名为“{name}”的单位，请填写统一社会信用代码")
            if not found:
                raise ValueError(f"没有名为“{name}”的单位；新单位须填写统一社会信用代码和单位类型")
            units[f"name:{name}"] = found[0]
        return units[f"name:{name}"]
    code = clean_uscc(values.get("uscc", ""))
    unit = units.get(code) or db.session.scalar(sa.select(Unit).where(Unit.uscc == code))
    if unit is None:
        if not name:
            raise ValueError("新单位须填写工作单位名称")
        unit_type = UNIT_TYPES_BY_LABEL.get(values.get("unit_type", ""))
        if unit_type is None:
            labels = "、".join(UNIT_TYPES_BY_LABEL)
            raise ValueError(f"新单位须填写单位类型（{labels}）")
        unit = Unit(name=name, uscc=code, type=unit_type)
        db.session.add(unit)
        db.session.flush()
        record("unit.create", unit, user=user, detail=f"导入名单：{unit.name}")
        summary.created_units += 1
    units[code] = unit
    return unit


PERSON_FIELDS = {
    "phone": "手机号码",
    "title_series": "职称系列",
    "title_level": "职称级别",
    "title_name": "职称名称",
}


def _import_row(values: dict, state: dict, summary: ImportSummary, user) -> str:
    """One roster row; what happened to it in words. A ValueError (or Refusal) refuses it.
    An existing person is never renamed (a different name is an error naming both) nor moved
    but through the employment history (a move dated the import day, audited and told)."""
    name = values.get("name", "")[:50]
    if not name:
        raise ValueError("姓名不能为空")
    id_number = clean_id_number(values.get("id_number", ""))
    if id_number in state["seen"]:
        raise ValueError("身份证号码与前面的行重复")
    state["seen"].add(id_number)
    person = db.session.scalar(sa.select(Professional).where(Professional.id_number == id_number))
    if person is not None and person.name != name:
        raise ValueError(
            f"该身份证号码已登记为“{person.name}”，与本行姓名“{name}”不一致；"
            "姓名更正请到县人社局办理，名单不改姓名"
        )
    keeps_unit = person is not None and not (values.get("uscc") or values.get("unit"))
    unit = None if keeps_unit else _unit_for(values, state["units"], summary, user)
    changes = []
    if person is None:
        person = Professional(
            id_number=id_number,
            name=name,
            birth_date=birth_date(id_number),
            status=PersonStatus.CONFIRMED,
        )
        db.session.add(person)
        db.session.flush()
        people.move(user, person, unit, state["today"])
        summary.created_people += 1
        changes.append(f"新增人员（{unit.name if unit else '自由职业'}）")
    elif not keeps_unit and (unit.id if unit else None) != person.unit_id:
        before = person.unit.name if person.unit else "自由职业"
        try:
            people.import_move(user, person, unit, state["today"])
        except Refusal as error:
            raise ValueError(error.message) from error
        summary.moved_people += 1
        changes.append(
            f"调动：{before} → {unit.name if unit else '自由职业'}（自{state['today']:%Y-%m-%d}起）"
        )
    updated = []
    for key, label in PERSON_FIELDS.items():
        if values.get(key) and getattr(person, key) != values[key]:
            setattr(person, key, values[key])
            updated.append(label)
    if updated:
        changes.append("更新" + "、".join(updated))
    if changes and not changes[0].startswith("新增"):
        summary.updated_people += 1
    db.session.flush()
    return "；".join(changes) or "无变化"


def _import_rows(rows: list[tuple[int, dict]], user, progress=None) -> ImportSummary:
    summary = ImportSummary(rows=len(rows))
    if progress is not None:
        progress(0, len(rows))
    state = {"units": {}, "seen": set(), "today": local_today()}
    for done, (number, values) in enumerate(rows, 1):
        try:
            with db.session.begin_nested():
                outcome = _import_row(values, state, summary, user)
        except (ValueError, Refusal) as error:
            message = error.message if isinstance(error, Refusal) else str(error)
            summary.errors.append({"row": number, "message": message})
            outcome = f"有误：{message}"
        summary.outcomes.append({"row": number, "name": values.get("name", ""), "outcome": outcome})
        if progress is not None and (done % 50 == 0 or done == len(rows)):
            progress(done)
    return summary


def import_people(
    data: bytes, user: User | None = None, progress=None, *, clean_rows: bool = False
) -> ImportSummary:
    """Import the roster (see the module's description); audited as one event. A file with
    errors imports nothing unless `clean_rows` (then the clean rows are imported): every row
    is first tried in a savepoint that is rolled back, then, if the file may go in, imported
    (progress is told only then, since telling it commits)."""
    rows = read_roster(data)
    trial = db.session.begin_nested()
    tried = _import_rows(rows, user)
    trial.rollback()
    if tried.errors and not clean_rows:
        tried.applied = False
        tried.created_people = tried.updated_people = tried.moved_people = 0
        tried.created_units = 0
        wrong = {e["row"] for e in tried.errors}
        for item in tried.outcomes:
            if item["row"] not in wrong:
                item["outcome"] = "未导入（文件中有错误行）：" + item["outcome"]
        summary = tried
    else:
        summary = _import_rows(rows, user, progress)
    record("exchange.import", None, user=user, detail=summary.line())
    db.session.flush()
    return summary
