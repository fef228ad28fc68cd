"""Export registered years in the exchange format (portal.exchange.format: JSON and Excel, the
layout published under /api/v1/) and import people and units from an Excel roster, row by row.

Export: the registered years of one year, or those registered or changed since a moment
(`since`: registered then, or the person's certificate number first given then), in a stable
order (the declaration's id), whole or a page at a time (the pull API). The same records feed
the file, the page's job and `flask export year`.

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
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import joinedload, selectinload

from portal import spreadsheets
from portal.accounts import people
from portal.accounts.idnumbers import birth_date, clean_id_number, clean_uscc
from portal.accounts.models import PersonStatus, Professional, User
from portal.accounts.people import title_in_year
from portal.audit.service import record
from portal.board.models import PublicityBatch
from portal.certificates.models import Certificate
from portal.certificates.service import bureau_name, county_code
from portal.clock import LOCAL_TZ, local_today
from portal.declarations.models import Declaration, DeclarationStatus
from portal.exchange import format as fmt_
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from portal.models_base import utcnow
from portal.providers.models import TrainingPlan
from portal.refusal import INVALID, Refusal
from portal.spreadsheets import safe_row
from portal.units.models import UNIT_TYPE_LABELS, TitleSeries, Unit

EXPORT_FORMAT = fmt_.FORMAT
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


def county(code: str | None = None) -> dict:
    """This bureau (the county acted for, or the one named) as a file names it (the importing
    side marks years with it)."""
    return {"name": bureau_name(code), "code": county_code(code)}


def exporter(code: str) -> dict:
    """The bureau exporting a jurisdiction's file: a county as `county()` names it, a city by
    its own name and code."""
    node = jurisdictions.get(code)
    if node.level is JurisdictionLevel.COUNTY:
        return county(code)
    return {"name": node.bureau_name or f"{node.name}人力资源和社会保障局", "code": code}


def export_jurisdiction(code: str | None) -> jurisdictions.Node:
    """The jurisdiction an export is of (default: the county acted for, the install's own
    when none); a code not in the tree is refused."""
    node = jurisdictions.get(str(code).strip() if code else scope.home_county())
    if node is None:
        raise Refusal(
            f"行政区划代码“{str(code)[:20]}”不存在，可用 flask jurisdictions 查看。",
            INVALID,
            field="jurisdiction",
        )
    return node


def parse_since(text: str) -> datetime:
    """A moment as the CLI and the API take it: ISO 8601, a date or a date and time; without a
    zone it is the bureau's local time (Asia/Shanghai)."""
    # "+08:00" in a query string that was not encoded arrives as " 08:00".
    text = re.sub(r"(T[\d:.]+) (\d{2}:?\d{2})$", r"\1+\2", str(text).strip())
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as error:
        raise Refusal(
            f"起始时间“{str(text)[:40]}”无效，应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SS。",
            INVALID,
            field="since",
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    if not 2000 <= moment.year <= 2100:
        raise Refusal("起始时间应在2000年至2100年之间。", INVALID, field="since")
    return moment


def _selection(
    year: int | None = None,
    since: datetime | None = None,
    person_id=None,
    counties: Sequence[str] | None = None,
):
    """The conditions picking the registered years asked for (`counties`: of these counties
    alone, the jurisdiction's codes as a parameter)."""
    where = [Declaration.status == DeclarationStatus.REGISTERED]
    if counties is not None:
        where.append(Declaration.jurisdiction_code.in_(counties))
    if year is not None:
        where.append(Declaration.year == year)
    if person_id is not None:
        where.append(Declaration.professional_id == person_id)
    if since is not None:
        certified = sa.select(Certificate.professional_id).where(Certificate.issued_at >= since)
        where.append(
            sa.or_(Declaration.registered_at >= since, Declaration.professional_id.in_(certified))
        )
    return where


def count_records(
    year: int | None = None, since: datetime | None = None, counties: Sequence[str] | None = None
) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Declaration.id)).where(*_selection(year, since, counties=counties))
    )


def records(
    year: int | None = None,
    since: datetime | None = None,
    *,
    person: Professional | None = None,
    offset: int = 0,
    limit: int | None = None,
    counties: Sequence[str] | None = None,
) -> list[dict]:
    """The registered years asked for, in the exchange format, in id order (stable for
    paging: a page asked for again holds the same years)."""
    query = (
        sa.select(Declaration)
        .where(*_selection(year, since, person.id if person else None, counties))
        .options(
            joinedload(Declaration.professional).joinedload(Professional.unit),
            joinedload(Declaration.unit),
            joinedload(Declaration.reviewer),
            joinedload(Declaration.first_reviewer),
            joinedload(Declaration.first_step_authority),
            selectinload(Declaration.claims),
        )
        # One person's years by year; otherwise by id, which paging needs to be stable.
        .order_by(*((Declaration.year,) if person else ()), Declaration.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    declarations = db.session.scalars(query).unique().all()
    return _build(declarations)


def _build(declarations: list[Declaration]) -> list[dict]:
    """The records of these declarations, with a fixed number of queries whatever their count."""
    if not declarations:
        return []
    people = {d.professional_id for d in declarations}
    numbers = dict(
        db.session.execute(
            sa.select(Certificate.professional_id, Certificate.number).where(
                Certificate.professional_id.in_(people)
            )
        ).all()
    )
    titles = {}
    for year in {d.year for d in declarations}:
        title = title_in_year(year)
        for person_id, series, level in db.session.execute(
            sa.select(title.c.professional_id, TitleSeries.name, title.c.level)
            .join(TitleSeries, TitleSeries.id == title.c.series_id)
            .where(title.c.professional_id.in_(people))
        ):
            titles[person_id, year] = (series, level)
    plans = {c.plan_id for d in declarations for c in d.claims if c.plan_id is not None}
    filings = (
        dict(
            db.session.execute(
                sa.select(TrainingPlan.id, TrainingPlan.filing_no).where(TrainingPlan.id.in_(plans))
            ).all()
        )
        if plans
        else {}
    )
    batch_ids = {d.batch_id for d in declarations if d.batch_id is not None}
    batches = (
        {
            b.id: b
            for b in db.session.scalars(
                sa.select(PublicityBatch).where(PublicityBatch.id.in_(batch_ids))
            )
        }
        if batch_ids
        else {}
    )
    bureaus = {code: exporter(code)["name"] for code in {d.jurisdiction_code for d in declarations}}
    result = []
    for declaration in declarations:
        series, level = titles.get((declaration.professional_id, declaration.year), (None, None))
        result.append(
            fmt_.year_record(
                declaration,
                person=declaration.professional,
                series=series,
                level=level,
                certificate=numbers.get(declaration.professional_id),
                bureau=bureaus[declaration.jurisdiction_code],
                filings=filings,
                batch=batches.get(declaration.batch_id),
            )
        )
    return result


def year_records(year: int) -> list[dict]:
    """The year's registered records in the exchange format."""
    return records(year)


def document(
    year: int | None, since: datetime | None, found: list[dict], code: str | None = None
) -> dict:
    """The versioned document around some records (the file, a page of the API), from the
    install's county or from the jurisdiction `code`."""
    return {
        "format": EXPORT_FORMAT,
        "county": exporter(code) if code else county(),
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "year": year,
        "since": since.isoformat(timespec="seconds") if since else None,
        "count": len(found),
        "records": found,
    }


def workbook(found: list[dict]) -> bytes:
    """The Excel face of the format: the years on the first sheet, their claims on the second."""
    book = Workbook()
    years = book.active
    years.title = fmt_.YEAR_SHEET
    claims = book.create_sheet(fmt_.CLAIM_SHEET)
    years.append([heading for _, heading in fmt_.YEAR_COLUMNS])
    claims.append([heading for _, heading in fmt_.CLAIM_COLUMNS])
    for row in found:
        years.append(safe_row(fmt_.excel_value(row, key) for key, _ in fmt_.YEAR_COLUMNS))
        for claim in row["claims"]:
            both = {**claim, "id_number": row["id_number"], "year": row["year"]}
            claims.append(safe_row(fmt_.excel_value(both, key) for key, _ in fmt_.CLAIM_COLUMNS))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def export_year(
    year: int | None,
    fmt: str,
    user: User | None = None,
    progress=None,
    since: datetime | None = None,
    jurisdiction: str | None = None,
) -> bytes:
    """The file in `fmt` (xlsx or json) of a year, or of what changed since a moment (or
    both), of a county's registered years or of a city's (all its counties', each record with
    its county's code); by default the install's county. Audited (the file holds ID
    numbers)."""
    if fmt not in ("xlsx", "json"):
        raise Refusal(f"不支持的格式“{fmt}”，应为 xlsx 或 json。", INVALID, field="format")
    if year is None and since is None:
        raise Refusal("请指定年度或起始时间（--since）。", INVALID, field="year")
    place = export_jurisdiction(jurisdiction)
    found = records(year, since, counties=jurisdictions.counties_of(place.code))
    if progress is not None:
        progress(len(found), len(found))
    what = "" if jurisdictions.is_single_county() else place.name
    what += f"{year}年度" if year is not None else ""
    if since is not None:
        what += f"{since.isoformat(timespec='seconds')}以后登记或变化的"
    record("exchange.export", None, user=user, detail=f"{what} {len(found)}条，{fmt}")
    if fmt == "json":
        found = document(year, since, found, place.code)
        return json.dumps(found, ensure_ascii=False, indent=1).encode()
    return workbook(found)


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


ROSTER_MAX_ROWS = 50_000  # rows of one roster file (a county has a few thousand people)


def read_roster(data: bytes) -> list[tuple[int, dict]]:
    """(row number, values by key) of the first sheet; a Refusal when the file is unreadable
    or a required column is missing."""
    return _roster_rows(iter(spreadsheets.read_rows(data, ROSTER_MAX_ROWS)))


def check_roster_upload(data: bytes) -> None:
    """In the request, before the roster is queued: a workbook whose zip is sane and whose
    first row (peeked at, nothing more) has the required columns."""
    if not data:
        raise Refusal("请选择要导入的 Excel 文件。", INVALID, field="file")
    _roster_rows(iter(spreadsheets.peek_rows(data, 1)))


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
    if unit is None and scope.elsewhere(Unit, Unit.uscc == code):
        raise ValueError(f"该统一社会信用代码的单位属于{scope.ELSEWHERE}，不能在本县名单中导入")
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
    for key, label in (("name", "姓名"), ("unit", "工作单位")):
        if spreadsheets.formula_like(values.get(key)):
            raise ValueError(f"{label}不能以 = + - @ 开头（电子表格会把它当作公式）")
    id_number = clean_id_number(values.get("id_number", ""))
    if id_number in state["seen"]:
        raise ValueError("身份证号码与前面的行重复")
    state["seen"].add(id_number)
    person = db.session.scalar(sa.select(Professional).where(Professional.id_number == id_number))
    if person is None and scope.elsewhere(Professional, Professional.id_number == id_number):
        raise ValueError(f"该身份证号码的人员档案在{scope.ELSEWHERE}，须由档案所在地办理调动")
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
