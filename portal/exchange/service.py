"""Export a year's registered records (Excel or JSON, the layout in README.md) and import
people and units from an Excel roster, row by row.

Export fields, in this order (FIELDS): name, id_number, unit, uscc, title_series, title_level,
year, general, professional, total, source, registered_on, certificate_number. `source` is
"portal" for a declaration made and registered in this system. Freelancers have an empty unit
and credit code; a person whose certificate has not been printed yet has an empty number.

Import: the first sheet, a header row then one person a row (ROSTER_COLUMNS, matched by the
Chinese heading). A row is checked on its own: a bad row is skipped and reported with its
number and reason, the good rows are imported. A person is matched by ID number (updated) or
created confirmed (the bureau's roster is the record); a unit by credit code, created when new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from io import BytesIO

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from portal.accounts.idnumbers import birth_date, clean_id_number, clean_uscc
from portal.accounts.models import PersonStatus, Professional, User
from portal.accounts.people import title_in_year
from portal.audit.service import record
from portal.certificates.models import Certificate
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
SOURCE_WORDS = {"portal": "本系统登记", "paper": "纸质证书录入"}
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
    for row in records:  # the sheet is read by people: the source in words (JSON keeps codes)
        sheet.append([SOURCE_WORDS.get(row[key], row[key]) if key == "source" else row[key]
                      for key, _ in FIELDS])  # fmt: skip
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    rows: int = 0
    created_people: int = 0
    updated_people: int = 0
    created_units: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.created_people + self.updated_people,
            "created_people": self.created_people,
            "updated_people": self.updated_people,
            "created_units": self.created_units,
            "errors": self.errors,
        }

    def line(self) -> str:
        return (
            f"共 {self.rows} 行：新增人员 {self.created_people} 人，更新 {self.updated_people} 人，"
            f"新增单位 {self.created_units} 个，有误 {len(self.errors)} 行"
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
    if not values.get("uscc") and not values.get("unit"):
        return None  # freelance
    code = clean_uscc(values.get("uscc", ""))
    unit = units.get(code) or db.session.scalar(sa.select(Unit).where(Unit.uscc == code))
    if unit is None:
        if not values.get("unit"):
            raise ValueError("新单位须填写工作单位名称")
        unit_type = UNIT_TYPES_BY_LABEL.get(values.get("unit_type", ""))
        if unit_type is None:
            labels = "、".join(UNIT_TYPES_BY_LABEL)
            raise ValueError(f"新单位须填写单位类型（{labels}）")
        unit = Unit(name=values["unit"], uscc=code, type=unit_type)
        db.session.add(unit)
        db.session.flush()
        record("unit.create", unit, user=user, detail=f"导入名单：{unit.name}")
        summary.created_units += 1
    units[code] = unit
    return unit


def import_people(data: bytes, user: User | None = None, progress=None) -> ImportSummary:
    """Import the roster (see the module's description); audited as one event."""
    rows = read_roster(data)
    summary = ImportSummary(rows=len(rows))
    if progress is not None:
        progress(0, len(rows))
    units: dict[str, Unit] = {}
    seen: set[str] = set()
    for done, (number, values) in enumerate(rows, 1):
        try:
            with db.session.begin_nested():
                if not values.get("name"):
                    raise ValueError("姓名不能为空")
                id_number = clean_id_number(values.get("id_number", ""))
                if id_number in seen:
                    raise ValueError("身份证号码与前面的行重复")
                unit = _unit_for(values, units, summary, user)
                person = db.session.scalar(
                    sa.select(Professional).where(Professional.id_number == id_number)
                )
                if person is None:
                    person = Professional(
                        id_number=id_number,
                        birth_date=birth_date(id_number),
                        status=PersonStatus.CONFIRMED,
                    )
                    db.session.add(person)
                    summary.created_people += 1
                else:
                    summary.updated_people += 1
                person.name = values["name"][:50]
                person.unit_id = unit.id if unit else None
                for key in ("phone", "title_series", "title_level", "title_name"):
                    if values.get(key):
                        setattr(person, key, values[key])
                db.session.flush()
                seen.add(id_number)
        except ValueError as error:
            summary.errors.append({"row": number, "message": str(error)})
        if progress is not None and (done % 50 == 0 or done == len(rows)):
            progress(done)
    record("exchange.import", None, user=user, detail=summary.line())
    db.session.flush()
    return summary
