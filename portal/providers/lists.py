"""Qualified-trainee lists (seed 001 附件2) and courseware records: read (streamed), check row by
row, and turn matched rows into prepared claims. Operations flush and never commit.

A file with row errors imports nothing unless the caller asks for the clean rows only. A row
already on the plan's list (same ID number), or a courseware record already imported (same
ID number, course and date), is left as it is: importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import joinedload

from portal import rules, spreadsheets
from portal.accounts.idnumbers import clean_id_number
from portal.accounts.models import Professional, Role, User
from portal.audit.service import record
from portal.clock import local_today
from portal.declarations import service as declarations
from portal.declarations.models import Declaration, DeclarationStatus
from portal.extensions import db
from portal.paging import Window, window
from portal.providers import study_end
from portal.providers.models import (
    CoursewareRecord,
    ListRowStatus,
    PlanState,
    QualifiedRow,
    TrainingPlan,
)
from portal.providers.service import owns
from portal.refusal import CONFLICT, FORBIDDEN, INVALID, Refusal
from portal.spreadsheets import safe_cell

LIST_TITLE = "继续教育合格人员简明情况汇总表"
LIST_NEEDED = ("姓名", "身份证号码", "培训学时", "考试结果")
COURSEWARE_NEEDED = ("身份证号码", "姓名", "课程名称", "科目", "学习日期")
LIST_HEADERS = ("序号", "姓名", "单位", "身份证号码", "技术职称", "培训学时", "考试结果", "备注")
COURSEWARE_HEADERS = ("身份证号码", "姓名", "课程名称", "标定学时", "科目", "学习日期", "考试成绩")
PASSED = {"合格", "通过", "优秀", "良好", "中等", "及格", "结业"}
SUBJECTS = {"公需": rules.GENERAL, "公需科目": rules.GENERAL}
SUBJECTS |= {"专业": rules.PROFESSIONAL, "专业科目": rules.PROFESSIONAL}
UNREADABLE = "无法读取该文件：请上传 Excel（.xlsx）文件{csv}，并使用下载的模板格式。"
MAX_ROWS = 20000
PROGRESS_EVERY = 250  # rows read between two progress reports of a background import
UNCHANGED = "此前已导入，未重复报送"
HAS_ERRORS = "有错误，未导入"
NOT_IMPORTED = "文件有错误，未导入"
Progress = Callable[..., None]


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class Outcome:
    """What became of one row received: its cells (in the upload's columns), what was done
    with it, the person it matched and the prepared claim, or its errors."""

    row: int
    cells: tuple
    status: str
    person: str = ""
    claim: str = ""
    message: str = ""
    taken: bool = False  # it became a prepared claim, or was already on record


@dataclass
class Summary:
    rows: int = 0
    matched: int = 0
    unmatched: int = 0
    not_attached: int = 0
    unchanged: int = 0
    imported: bool = False
    errors: list[RowError] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)  # not in the JSON: the export's

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "not_attached": self.not_attached,
            "unchanged": self.unchanged,
            "imported": self.imported,
            "errors": [{"row": e.row, "message": e.message} for e in self.errors],
        }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _key(value) -> str:
    return re.sub(r"\s+", "", _text(value))


# --- reading -------------------------------------------------------------------------------


def _xlsx_rows(content: bytes, *, allow_csv: bool, peek: bool) -> Iterator[tuple[int, list]]:
    """The rows of a workbook checked as a zip first: the header rows in this process (a web
    request's peek), or every row in a child process with time and memory limits."""
    try:
        rows = (
            spreadsheets.peek_rows(content)
            if peek
            else spreadsheets.read_rows(content, MAX_ROWS + 1)
        )
    except Refusal as refusal:
        if refusal.message != spreadsheets.UNREADABLE:
            raise
        raise Refusal(UNREADABLE.format(csv="或 CSV 文件" if allow_csv else ""), INVALID) from None
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise Refusal(f"文件超过{MAX_ROWS}行，请分开导入。", INVALID)
        yield number, row


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refusal(UNREADABLE.format(csv="或 CSV 文件"), INVALID)
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number > MAX_ROWS:
            raise Refusal(f"文件超过{MAX_ROWS}行，请分开导入。", INVALID)
        yield number, row


def _rows_of(
    content: bytes, filename: str, *, allow_csv: bool, peek: bool = False
) -> Iterator[tuple[int, list]]:
    if allow_csv and (filename or "").lower().endswith(".csv"):
        return _csv_rows(content)
    if not content.startswith(b"PK"):
        raise Refusal(UNREADABLE.format(csv="或 CSV 文件" if allow_csv else ""), INVALID)
    return _xlsx_rows(content, allow_csv=allow_csv, peek=peek)


def row_estimate(content: bytes, filename: str, *, allow_csv: bool) -> int:
    """The number of rows a file says it has (the sheet's dimension, or the CSV's lines), for
    a progress bar; 0 when the workbook does not say."""
    if allow_csv and (filename or "").lower().endswith(".csv"):
        return content.count(b"\n") + 1
    try:
        return spreadsheets.dimension(content)
    except Refusal:  # unreadable: the import itself says so
        return 0


def _reporting(rows: Iterator[tuple[int, list]], progress: Progress | None):
    """The rows, telling `progress` the row number reached every PROGRESS_EVERY rows."""
    for number, row in rows:
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
        yield number, row


def precheck(content: bytes, filename: str, *, courseware: bool) -> None:
    """Before a file is queued for import: it must be readable and have the header row."""
    if not content:
        raise Refusal("上传的文件是空的。", INVALID, field="file")
    needed = COURSEWARE_NEEDED if courseware else LIST_NEEDED
    try:
        _header(_rows_of(content, filename, allow_csv=courseware, peek=True), needed)
    except Refusal as refusal:
        raise Refusal(refusal.message, INVALID, field="file") from None


def _header(rows: Iterator[tuple[int, list]], needed: Iterable[str]) -> tuple[dict, list]:
    """Columns by header name, and the rows seen above the header."""
    above = []
    for number, row in rows:
        keys = [_key(v) for v in row]
        if all(name in keys for name in needed):
            return {name: keys.index(name) for name in keys if name}, above
        above.append((number, row))
        if len(above) > 20:
            break
    names = "、".join(needed)
    raise Refusal(f"未找到表头（{names}），请使用页面上下载的模板。", INVALID)


def _cell(row: list, columns: dict, name: str):
    index = columns.get(name)
    return row[index] if index is not None and index < len(row) else None


def _person_names(id_numbers: Iterable[str]) -> dict[str, Professional]:
    found: dict[str, Professional] = {}
    numbers = sorted(set(id_numbers))
    for i in range(0, len(numbers), 500):
        chunk = numbers[i : i + 500]
        for person in db.session.scalars(
            sa.select(Professional).where(Professional.id_number.in_(chunk))
        ):
            found[person.id_number] = person
    return found


def _id_number(value, errors: list[RowError], number: int) -> str | None:
    try:
        return clean_id_number(_text(value))
    except ValueError as error:
        errors.append(RowError(number, f"身份证号码：{error}"))
        return None


def _int(value, label: str, errors: list[RowError], number: int, required=True) -> int | None:
    text = _text(value)
    if not text:
        if required:
            errors.append(RowError(number, f"{label}不能为空"))
        return None
    try:
        return int(text)
    except ValueError:
        errors.append(RowError(number, f"{label}应为整数，现为“{text}”"))
        return None


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", _text(value))
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None


# --- qualified list ------------------------------------------------------------------------


def template(plan: TrainingPlan, rows: Iterable[tuple] = ()) -> bytes:
    """The 附件2 layout, filled with the plan's title and dates (write-only workbook); rows
    (姓名, 单位, 身份证号码, 技术职称, 培训学时, 考试结果) are written under the header, for the
    demo and the benchmark. Text a spreadsheet would run as a formula is written as text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("合格人员名单")
    sheet.append([LIST_TITLE])
    sheet.append([f"填报单位：{safe_cell(plan.organiser_name)}"])
    filled = f"填表时间：{local_today():%Y年%m月%d日}"
    sheet.append([filled, "", "", f"备案号：{plan.filing_no or ''}"])
    start, end = plan.start_date, plan.end_date
    period = f"{start.month}月{start.day}日 至 {end.month}月{end.day}日"
    sheet.append(["培训主题", safe_cell(plan.title), "", "", "培训时间", period])
    sheet.append(list(LIST_HEADERS))
    for number, row in enumerate(rows, start=1):
        cells = [*row, ""][: len(LIST_HEADERS) - 1]  # a 7th value is the 备注
        sheet.append([number, *(safe_cell(v) for v in cells)])
    sheet.append(["联系人：", "", "", "联系电话："])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _period_errors(plan: TrainingPlan, above: list) -> list[RowError]:
    """The list's 培训主题 and 培训时间 (when filled in) must be the plan's."""
    errors = []
    for number, row in above:
        keys = [_key(v) for v in row]
        if "培训时间" in keys:
            text = "".join(_key(v) for v in row[keys.index("培训时间") + 1 :])
            days = re.findall(r"(\d{1,2})月(\d{1,2})日", text)
            expected = [
                (plan.start_date.month, plan.start_date.day),
                (plan.end_date.month, plan.end_date.day),
            ]
            if days and [(int(m), int(d)) for m, d in days[:2]] != expected[: len(days[:2])]:
                errors.append(
                    RowError(
                        number,
                        f"培训时间“{text}”与备案计划的{plan.start_date:%m月%d日}至"
                        f"{plan.end_date:%m月%d日}不一致",
                    )
                )
    return errors


@dataclass
class ListRow:
    number: int
    id_number: str
    name: str
    unit_name: str
    title_name: str
    hours: int
    result: str
    note: str
    hours_text: str = ""
    id_text: str = ""

    @property
    def cells(self) -> tuple:
        """The row as received, in the 附件2 columns after 序号 (备注 left out)."""
        hours = self.hours or self.hours_text
        id_number = self.id_number or self.id_text
        return (self.name, self.unit_name, id_number, self.title_name, hours, self.result)


def check_list(plan: TrainingPlan, content: bytes, filename: str = "") -> tuple[list, list, int]:
    """(clean rows, row errors, rows) of a qualified list for the plan."""
    parsed, errors, count = _check_list(plan, content, filename)
    return [(item, person) for item, person, own in parsed if not own], errors, count


def _check_list(
    plan: TrainingPlan, content: bytes, filename: str = "", progress: Progress | None = None
) -> tuple[list, list, int]:
    """Every row of a qualified list with the person it names and its own errors; all the
    errors (the list's period included), by row; the number of rows."""
    rows = _reporting(_rows_of(content, filename, allow_csv=False), progress)
    columns, above = _header(rows, LIST_NEEDED)
    errors = _period_errors(plan, above)
    parsed: list[tuple[ListRow, list[RowError]]] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        name, raw_id = _text(_cell(row, columns, "姓名")), _cell(row, columns, "身份证号码")
        first = _key(row[0] if row else "")
        if first.startswith(("联系人", "联系电话")):
            break
        if not name and not _text(raw_id):
            continue
        own: list[RowError] = []
        if not name:
            own.append(RowError(number, "姓名不能为空"))
        id_number = _id_number(raw_id, own, number)
        if id_number and id_number in seen:
            own.append(RowError(number, f"身份证号码与第{seen[id_number]}行重复"))
        elif id_number:
            seen[id_number] = number
        hours_text = _text(_cell(row, columns, "培训学时"))[:20]
        hours = _int(_cell(row, columns, "培训学时"), "培训学时", own, number)
        if hours is not None and not 0 < hours <= plan.hours:  # fewer: partial attendance
            own.append(
                RowError(
                    number,
                    f"培训学时{hours}超过备案计划的{plan.hours}学时"
                    if hours > plan.hours
                    else "培训学时应大于0（未参加培训的人员不列入名单）",
                )
            )
        result = _text(_cell(row, columns, "考试结果"))
        if not result:
            own.append(RowError(number, "考试结果不能为空"))
        elif not _passed(result):
            own.append(RowError(number, f"考试结果为“{result}”：名单只能列考试合格的人员"))
        item = ListRow(
            number,
            id_number or "",
            name,
            _text(_cell(row, columns, "单位"))[:200],
            _text(_cell(row, columns, "技术职称"))[:50],
            hours or 0,
            result[:20],
            _text(_cell(row, columns, "备注"))[:200],
            hours_text,
            _text(raw_id)[:30],
        )
        parsed.append((item, own))
    if not parsed:
        raise Refusal("名单中没有人员，请在表头下方逐行填写。", INVALID)
    return _with_people(parsed, errors)


def _with_people(parsed: list, errors: list[RowError]) -> tuple[list, list, int]:
    """The rows with the person on record for each ID number (a name that differs is an
    error of the row); every error sorted by row."""
    people = _person_names(item.id_number for item, own in parsed if item.id_number)
    checked = []
    for item, own in parsed:
        person = people.get(item.id_number)
        if person is not None and _key(person.name) != _key(item.name):
            own.append(RowError(item.number, "姓名与系统中该身份证号码登记的人员姓名不一致"))
        errors.extend(own)
        checked.append((item, person, own))
    return checked, sorted(errors, key=lambda e: e.row), len(parsed)


def _passed(result: str) -> bool:
    if result.isdigit():
        return int(result) >= 60
    return result in PASSED


def _training_claim(plan: TrainingPlan, rule_set_id: str, hours: int) -> tuple[str, dict]:
    """The kind and facts of a prepared training claim for `hours` attended (the list's row,
    at most the plan's: fewer is partial attendance). anhui-2025 counts days (6 hours a full
    day, 3 a shorter one, 004 第十二条（十）): the whole days attended, and a part of a day as
    one shorter day; on a plan of shorter days every day attended is one. hefei-2021 takes the
    hours the list reports (the organiser's own figure, 附件3 第5、6项)."""
    kinds = rules.get_rule_set(rule_set_id).kinds
    if "training" in kinds:
        per_day = plan.hours_per_day
        if per_day >= 6:
            return "training", {"days": hours // per_day, "half_days": int(hours % per_day > 0)}
        return "training", {"days": 0, "half_days": -(-hours // per_day)}
    return "training.decided", {"decided_hours": hours}


def _may_report(user: User | None, plan: TrainingPlan) -> None:
    if not (owns(user, plan) or (user is not None and user.role is Role.BUREAU_OFFICER)):
        raise Refusal("只能报送本机构（本单位）的培训计划的合格人员名单。", FORBIDDEN)


def import_list(
    user: User | None,
    plan: TrainingPlan,
    content: bytes,
    filename: str = "",
    *,
    clean_rows: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Check every row; import all of them, or only the clean ones when asked. The summary's
    outcomes say what became of each row received. `progress(row)` is told how far the reading
    got (before anything is written)."""
    check_may_import(user, plan)
    parsed, errors, count = _check_list(plan, content, filename, progress)
    summary = Summary(rows=count, errors=errors)
    _file_outcomes(summary, parsed, errors, above_rows={e.row for e in errors} - _rows(parsed))
    if errors and not clean_rows:
        _refused_outcomes(summary, parsed)
        return summary
    existing = set(
        db.session.scalars(sa.select(QualifiedRow.id_number).where(QualifiedRow.plan_id == plan.id))
    )
    year = plan.end_date.year
    details = {
        "title": plan.title,
        "date": f"{plan.start_date.isoformat()}至{plan.end_date.isoformat()}",
        "issuer": plan.organiser_name,
        "plan_no": plan.filing_no,
    }
    clean = [(item, person) for item, person, own in parsed if not own]
    matched_people = [person.id for _, person in clean if person is not None]
    rule_sets = declarations.rule_sets_of(matched_people, year)
    pairs = []
    for item, person in clean:
        outcome = _outcome(summary, item, person)
        if item.id_number in existing:
            _unchanged(summary, outcome)
            continue
        existing.add(item.id_number)
        row = QualifiedRow(
            plan_id=plan.id,
            id_number=item.id_number,
            name=item.name,
            unit_name=item.unit_name,
            title_name=item.title_name,
            hours=item.hours,
            result=item.result,
            note=item.note,
            professional_id=getattr(person, "id", None),
            imported_by_id=getattr(user, "id", None),
            status=ListRowStatus.UNMATCHED,
        )
        db.session.add(row)
        if person is None:
            _unmatched(summary, outcome)
        else:
            kind, facts = _training_claim(plan, rule_sets[person.id], item.hours)
            asked = declarations.Prepared(
                person, year, kind, facts, details, plan.subject, "qualified_list", plan.id
            )
            pairs.append((row, asked, outcome))
    _attach(user, pairs, summary)
    db.session.flush()
    summary.imported = True
    summary.outcomes.sort(key=lambda o: o.row)
    record(
        "list.imported",
        plan,
        user=user,
        detail=f"{summary.rows}行，报送{summary.matched}人，未匹配{summary.unmatched}人，"
        f"未加入{summary.not_attached}人，已导入过{summary.unchanged}人，错误{len(errors)}行",
    )
    return summary


def check_may_import(user: User | None, plan: TrainingPlan) -> None:
    """The organiser (or the bureau) reports the list of an accepted plan that has ended."""
    _may_report(user, plan)
    if plan.state is not PlanState.ACCEPTED:
        raise Refusal("培训计划备案后才能报送合格人员名单。", CONFLICT)
    if local_today() < plan.end_date:
        raise Refusal(f"培训于{plan.end_date:%Y年%m月%d日}结束后才能报送合格人员名单。", CONFLICT)


def _rows(parsed: list) -> set[int]:
    return {item.number for item, _, _ in parsed}


def _outcome(summary: Summary, item, person) -> Outcome:
    outcome = Outcome(item.number, item.cells, "", person=getattr(person, "name", ""))
    summary.outcomes.append(outcome)
    return outcome


def _unchanged(summary: Summary, outcome: Outcome) -> None:
    """A row already imported (sent again): counted, taken, nothing new."""
    summary.unchanged += 1
    outcome.status, outcome.taken = UNCHANGED, True


def _unmatched(summary: Summary, outcome: Outcome) -> None:
    """A clean row whose ID number names nobody in the portal: kept for the 未匹配人员 page."""
    summary.unmatched += 1
    outcome.status = ListRowStatus.UNMATCHED.label
    outcome.message = "系统中没有该身份证号码的人员，请核对身份证号码"


def _file_outcomes(summary: Summary, parsed: list, errors: list, above_rows: set[int]) -> None:
    """Outcomes of the rows with errors, and of errors above the header (the list's period)."""
    for number in sorted(above_rows):
        message = "；".join(e.message for e in errors if e.row == number)
        summary.outcomes.append(Outcome(number, (), "表头信息有误", message=message))
    for item, person, own in parsed:
        if own:
            outcome = _outcome(summary, item, person)
            outcome.status, outcome.message = HAS_ERRORS, "；".join(e.message for e in own)


def _refused_outcomes(summary: Summary, parsed: list) -> None:
    """A file with errors imports nothing: its clean rows are not imported either."""
    for item, person, own in parsed:
        if not own:
            _outcome(summary, item, person).status = NOT_IMPORTED
    summary.outcomes.sort(key=lambda o: o.row)


def _attach(user, pairs: list, summary: Summary) -> None:
    """Prepared claims for the matched rows (or records), in bulk; each row (and its outcome)
    says what became of it, and the summary counts the attached and the not attached."""
    declarations.prepare_claims(user, [asked for _, asked, _ in pairs])
    registered = _registered_years(
        {(a.person.id, a.year) for _, a, _ in pairs if a.claim is None and a.refusal is not None}
    )
    for row, asked, outcome in pairs:
        if asked.claim is not None:
            row.status, row.claim_id = ListRowStatus.MATCHED, asked.claim.id
            outcome.claim = f"{asked.year}年度申报 报送条目#{asked.claim.id}"
            outcome.taken = True
        elif asked.refusal is not None and asked.refusal.status == CONFLICT:
            row.status = ListRowStatus.SUBMITTED
            outcome.message = (
                f"{asked.year}年度学时已登记，已登记的年度不再加入报送条目，此行无需处理"
                if (asked.person.id, asked.year) in registered
                else f"{asked.year}年度申报已提交，请本人或核验人员处理"
            )
        else:
            row.status = ListRowStatus.NO_KIND
            outcome.message = "该人员所用认定规则没有此类条目"
        outcome.status = row.status.label
    summary.matched += sum(asked.claim is not None for _, asked, _ in pairs)
    summary.not_attached += sum(asked.claim is None for _, asked, _ in pairs)


def _registered_years(keys: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of these (person id, year), the registered ones (20.15: nobody can act on those rows)."""
    if not keys:
        return set()
    ids = sorted({person_id for person_id, _ in keys})
    found: set[tuple[int, int]] = set()
    for i in range(0, len(ids), 500):
        found.update(
            db.session.execute(
                sa.select(Declaration.professional_id, Declaration.year).where(
                    Declaration.professional_id.in_(ids[i : i + 500]),
                    Declaration.year.in_(sorted({year for _, year in keys})),
                    Declaration.status == DeclarationStatus.REGISTERED,
                )
            ).all()
        )
    return found & keys


def _imported_courseware(id_numbers: set[str]) -> set[tuple]:
    """(ID number, course, date) of the records already imported for these people."""
    found: set[tuple] = set()
    numbers = sorted(id_numbers)
    for i in range(0, len(numbers), 500):
        found.update(
            db.session.execute(
                sa.select(
                    CoursewareRecord.id_number, CoursewareRecord.course, CoursewareRecord.studied_on
                ).where(CoursewareRecord.id_number.in_(numbers[i : i + 500]))
            ).all()
        )
    return found


def list_counts(plans: list[TrainingPlan]) -> dict[int, tuple[int, int]]:
    """Per plan id: (rows received, rows that became prepared claims)."""
    ids = [plan.id for plan in plans]
    if not ids:
        return {}
    matched = sa.func.sum(sa.case((QualifiedRow.status == ListRowStatus.MATCHED, 1), else_=0))
    rows = db.session.execute(
        sa.select(QualifiedRow.plan_id, sa.func.count(QualifiedRow.id), matched)
        .where(QualifiedRow.plan_id.in_(ids))
        .group_by(QualifiedRow.plan_id)
    )
    return {plan_id: (count, int(done or 0)) for plan_id, count, done in rows}


def rows_of_plan(plan: TrainingPlan) -> list[QualifiedRow]:
    return list(
        db.session.scalars(
            sa.select(QualifiedRow).where(QualifiedRow.plan_id == plan.id).order_by(QualifiedRow.id)
        )
    )


UNMATCHED_KINDS = {"list": "合格人员名单", "courseware": "网络课件学习记录"}


def unmatched_rows(kind: str = "list", page: int = 1) -> Window:
    """One page of the rows that became no prepared claim: of the qualified lists (with their
    plan) or of the courseware records (with their provider), the oldest first."""
    not_matched = (ListRowStatus.UNMATCHED, ListRowStatus.SUBMITTED, ListRowStatus.NO_KIND)
    if kind == "courseware":
        query = (
            sa.select(CoursewareRecord)
            .where(CoursewareRecord.status.in_(not_matched))
            .options(joinedload(CoursewareRecord.provider))
            .order_by(CoursewareRecord.id)
        )
    else:
        query = (
            sa.select(QualifiedRow)
            .where(QualifiedRow.status.in_(not_matched))
            .options(joinedload(QualifiedRow.plan))
            .order_by(QualifiedRow.id)
        )
    return window(query, page)


# --- courseware records --------------------------------------------------------------------


@dataclass
class CoursewareRow:
    number: int
    id_number: str
    name: str
    course: str
    hours: int | None
    subject: str
    studied_on: date
    score: int | None
    raw: tuple = ()  # the cells as received, in COURSEWARE_HEADERS order

    @property
    def cells(self) -> tuple:
        return self.raw


def check_courseware(content: bytes, filename: str = "") -> tuple[list, list, int]:
    """(clean rows, row errors, rows) of a courseware file."""
    parsed, errors, count = _check_courseware(content, filename)
    return [(item, person) for item, person, own in parsed if not own], errors, count


def _check_courseware(
    content: bytes, filename: str = "", progress: Progress | None = None
) -> tuple[list, list, int]:
    rows = _reporting(_rows_of(content, filename, allow_csv=True), progress)
    columns, _ = _header(rows, COURSEWARE_NEEDED)
    parsed: list[tuple[CoursewareRow, list[RowError]]] = []
    seen: dict[tuple, int] = {}
    for number, row in rows:
        name, raw_id = _text(_cell(row, columns, "姓名")), _cell(row, columns, "身份证号码")
        course = _text(_cell(row, columns, "课程名称"))
        if not name and not _text(raw_id) and not course:
            continue
        own: list[RowError] = []
        if not name:
            own.append(RowError(number, "姓名不能为空"))
        id_number = _id_number(raw_id, own, number)
        if not course:
            own.append(RowError(number, "课程名称不能为空"))
        hours = _int(_cell(row, columns, "标定学时"), "标定学时", own, number, required=False)
        if hours is not None and hours < 1:
            own.append(RowError(number, "标定学时应至少为1"))
        subject = SUBJECTS.get(_key(_cell(row, columns, "科目")))
        if subject is None:
            own.append(RowError(number, "科目应为“公需科目”或“专业科目”"))
        studied_on = _date(_cell(row, columns, "学习日期"))
        if studied_on is None:
            own.append(RowError(number, "学习日期应为日期，如2025-06-30"))
        score = _int(_cell(row, columns, "考试成绩"), "考试成绩", own, number, required=False)
        if score is not None and not 0 <= score <= 100:
            own.append(RowError(number, "考试成绩应在0至100分之间"))
        key = (id_number, course, studied_on)
        if id_number and key in seen:
            own.append(RowError(number, f"与第{seen[key]}行是同一人同一天的同一课程"))
        elif id_number:
            seen[key] = number
        raw = tuple(_shown_cell(_cell(row, columns, name)) for name in COURSEWARE_HEADERS)
        item = CoursewareRow(
            number,
            id_number or "",
            name,
            course[:200],
            hours,
            subject or "",
            studied_on,
            score,
            raw,
        )
        parsed.append((item, own))
    if not parsed:
        raise Refusal("文件中没有学习记录，请在表头下方逐行填写。", INVALID)
    return _with_people(parsed, [])


def _shown_cell(value):
    """A cell as an export writes it back: dates as dates, numbers as numbers, text cut."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date | int | float):
        return value
    return _text(value)[:200]


def import_courseware(
    user: User | None,
    content: bytes,
    filename: str = "",
    *,
    clean_rows: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """A provider's (or the bureau's, from a platform's export) courseware completions."""
    check_may_import_courseware(user)
    provider = user.provider if user is not None and user.role is Role.PROVIDER else None
    parsed, errors, count = _check_courseware(content, filename, progress)
    summary = Summary(rows=count, errors=errors)
    _file_outcomes(summary, parsed, errors, above_rows=set())
    if errors and not clean_rows:
        _refused_outcomes(summary, parsed)
        return summary
    clean = [(item, person) for item, person, own in parsed if not own]
    seen = _imported_courseware({item.id_number for item, _ in clean})
    issuer = provider.name if provider else "网络学习平台"
    pairs = []
    for item, person in clean:
        outcome = _outcome(summary, item, person)
        if (item.id_number, item.course, item.studied_on) in seen:
            _unchanged(summary, outcome)
            continue
        entry = CoursewareRecord(
            provider_id=getattr(provider, "id", None),
            id_number=item.id_number,
            name=item.name,
            course=item.course,
            hours=item.hours,
            subject=item.subject,
            studied_on=item.studied_on,
            score=item.score,
            professional_id=getattr(person, "id", None),
            imported_by_id=getattr(user, "id", None),
            status=ListRowStatus.UNMATCHED,
        )
        db.session.add(entry)
        if person is None:
            _unmatched(summary, outcome)
            continue
        details = {"title": item.course, "date": item.studied_on.isoformat(), "issuer": issuer}
        facts = {"hours": item.hours, "score": item.score}
        year = study_end.study_year(item.studied_on, item.subject)
        asked = declarations.Prepared(
            person, year, "courseware", facts, details, item.subject, "courseware"
        )
        pairs.append((entry, asked, outcome))
    _attach(user, pairs, summary)
    summary.imported = True
    summary.outcomes.sort(key=lambda o: o.row)
    record(
        "courseware.imported",
        provider,
        user=user,
        detail=f"{summary.rows}行，报送{summary.matched}条，未匹配{summary.unmatched}条，"
        f"未加入{summary.not_attached}条，已导入过{summary.unchanged}条，错误{len(errors)}行",
    )
    return summary


def check_may_import_courseware(user: User | None) -> None:
    if user is not None and user.role not in (Role.PROVIDER, Role.BUREAU_OFFICER):
        raise Refusal("只有施教机构或人社局可以导入网络课件学习记录。", FORBIDDEN)


# --- exports: the rows received with their outcome, and the rows to correct and resend ----

OUTCOME_HEADERS = ("处理结果", "匹配人员", "报送条目", "问题说明")


def outcome_workbook(summary: Summary, *, courseware: bool, caption: str) -> bytes:
    """Every row received, as received, with what became of it (write-only, no formulas)."""
    columns = COURSEWARE_HEADERS if courseware else LIST_HEADERS[1:7]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("接收结果")
    sheet.append([safe_cell(caption)])
    sheet.append(["行号", *columns, *OUTCOME_HEADERS])
    for outcome in summary.outcomes:
        cells = [*outcome.cells, *[""] * len(columns)][: len(columns)]
        extra = (outcome.status, outcome.person, outcome.claim, outcome.message)
        sheet.append([outcome.row, *(safe_cell(v) for v in (*cells, *extra))])
    return _saved(book)


def not_taken(summary: Summary) -> list[Outcome]:
    """The rows that did not become prepared claims (errors, people not on record, years
    already submitted, a file refused): what the provider corrects and sends again."""
    return [o for o in summary.outcomes if not o.taken and o.cells]


def unmatched_workbook(summary: Summary, plan: TrainingPlan | None) -> bytes:
    """The rows not taken, in the upload's own layout (附件2 for a plan's list, the courseware
    columns otherwise) with the problem in the last column, so the file can be corrected and
    uploaded again."""
    rows = not_taken(summary)
    if plan is not None:
        return template(plan, [(*o.cells, o.message or o.status) for o in rows])
    book = Workbook(write_only=True)
    sheet = book.create_sheet("未匹配与有误的记录")
    sheet.append([*COURSEWARE_HEADERS, "问题说明"])
    for outcome in rows:
        sheet.append([safe_cell(v) for v in (*outcome.cells, outcome.message or outcome.status)])
    return _saved(book)


def _saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
