"""Exchange with the provincial system: the year's export read back with openpyxl and as
JSON, the roster import row-checked, both from the CLI and from the bureau's page (a job)."""

import json
from datetime import date, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from portal.accounts.idnumbers import make_id_number, make_uscc
from portal.accounts.models import PersonStatus, PersonTitle, Professional, Role
from portal.certificates import service as certificates
from portal.exchange import format, service
from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.units.models import Authority, TitleLevel, TitleSeries, Unit, UnitType

HEADINGS = [h for _, h in format.YEAR_COLUMNS]


@pytest.fixture
def registered(make_unit, make_professional, make_registered_declaration):
    unit = make_unit(name="第一中学")
    a = make_professional(unit=unit, name="甲", title_series="教师", title_level="中级")
    b = make_professional(unit=None, name="乙", title_series="会计", title_level="初级")
    c = make_professional(unit=unit, name="丙")
    make_registered_declaration(
        a, 2025, general=30, professional=60, registered_on=date(2025, 12, 12)
    )
    make_registered_declaration(b, 2025, general=40, professional=70)
    make_registered_declaration(c, 2024)  # another year
    number = certificates.ensure_certificate(a).number
    db.session.commit()
    return {"unit": unit, "a": a, "b": b, "number": number}


def test_export_xlsx_read_back(registered, runner, tmp_path):
    out = tmp_path / "2025.xlsx"
    result = runner.invoke(args=["export", "year", "2025", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["records"] == 2
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADINGS
    a, unit = registered["a"], registered["unit"]
    by_name = {row[0]: dict(zip(HEADINGS, row, strict=True)) for row in rows[1:]}
    assert {k: by_name["甲"][k] for k in HEADINGS[:17]} == {
        "姓名": "甲",
        "身份证号码": a.id_number,
        "工作单位": "第一中学",
        "统一社会信用代码": unit.uscc,
        "职称系列": "教师",
        "职称级别": "中级",
        "年度": 2025,
        "规则集": "anhui-2025",
        "公需科目学时": 30,
        "专业科目学时": 60,
        "总学时": 90,
        "是否达标": "是",
        "来源": "本系统登记",  # the sheet is read by officers (20.13); the JSON keeps "portal"
        "纸质证书录入": "否",
        "登记县（市）": "示范县人力资源和社会保障局",
        "登记单位": "示范县人力资源和社会保障局",
        "登记日期": "2025-12-12",
    }
    assert by_name["甲"]["证书编号"] == registered["number"]
    assert by_name["乙"]["工作单位"] in (None, "") and by_name["乙"]["证书编号"] in (None, "")


def test_export_json(registered, runner, tmp_path):
    out = tmp_path / "2025.json"
    result = runner.invoke(args=["export", "year", "2025", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == service.EXPORT_FORMAT and document["count"] == 2
    assert list(format.RECORD_SCHEMA["properties"]) == list(document["records"][0])
    # Every field is required but the county's code, which files written before it lack.
    assert set(format.RECORD_SCHEMA["properties"]) - set(format.RECORD_SCHEMA["required"]) == {
        "county_code"
    }
    assert {r["county_code"] for r in document["records"]} == {"341822"}
    assert {r["source"] for r in document["records"]} == {"portal"}
    assert runner.invoke(args=["export", "year", "20x5", "--out", str(out)]).exit_code == 2
    bad_dir = tmp_path / "missing" / "x.json"
    assert runner.invoke(args=["export", "year", "2025", "--out", str(bad_dir)]).exit_code == 2


def test_export_names_the_title_held_in_the_year(registered):
    """The recorded title of the year wins over the registration form's words; a title obtained
    after the year does not count for it."""
    a = registered["a"]
    authority = Authority(name="县卫健委")
    health = TitleSeries(name="卫生", authority=authority)
    a.titles.append(
        PersonTitle(series=health, level=TitleLevel.DEPUTY_SENIOR, obtained=date(2019, 9, 1))
    )
    a.titles.append(
        PersonTitle(series=health, level=TitleLevel.FULL_SENIOR, obtained=date(2026, 3, 1))
    )
    db.session.commit()
    by_name = {row["name"]: row for row in service.year_records(2025)}
    assert (by_name["甲"]["title_series"], by_name["甲"]["title_level"]) == ("卫生", "副高")
    assert (by_name["乙"]["title_series"], by_name["乙"]["title_level"]) == ("会计", "初级")


def roster(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "姓名",
            "身份证号码",
            "手机号码",
            "工作单位",
            "统一社会信用代码",
            "单位类型",
            "职称系列",
            "职称级别",
        ]
    )
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _rows_with_errors(existing_unit, known):
    new_uscc = make_uscc("91341822MA0000001")
    good = make_id_number(date(1985, 3, 4), 11)
    return good, roster(
        [
            ["新人甲", good, "13900000001", "新公司", new_uscc, "非公企业", "工程", "中级"],
            ["新人乙", make_id_number(date(1986, 3, 4), 12), "", "新公司", new_uscc, "", "", ""],
            ["旧名", known.id_number, "", "人民医院", existing_unit.uscc, "", "卫生", "副高"],
            ["坏号", "123", "", "", "", "", "", ""],
            ["", make_id_number(date(1987, 3, 4), 13), "", "", "", "", "", ""],
            ["重复", good, "", "", "", "", "", ""],
            ["新单位无类型", make_id_number(date(1988, 3, 4), 14), "", "某社团",
             make_uscc("51341822MJ0000002"), "", "", ""],
            ["自由职业者", make_id_number(date(1990, 3, 4), 15), "", "", "", "", "会计", "初级"],
        ]
    )  # fmt: skip


def test_a_file_with_errors_imports_nothing(ctx, make_unit, make_professional, runner, tmp_path):
    """Issue 22.8: like the provider lists, a file with errors imports nothing (exit 1) and
    says per row what would have happened."""
    existing_unit = make_unit(name="人民医院")
    known = make_professional(unit=None, name="旧名", status=PersonStatus.PENDING)
    _, data = _rows_with_errors(existing_unit, known)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(data)
    people_before = db.session.scalar(sa.select(sa.func.count(Professional.id)))
    result = runner.invoke(args=["import", "people", str(path)])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.output)
    assert summary["applied"] is False and summary["imported"] == 0
    assert [e["row"] for e in summary["errors"]] == [5, 6, 7, 8]
    assert summary["outcomes"][0]["outcome"].startswith("未导入")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Professional.id))) == people_before
    assert db.session.scalar(sa.select(sa.func.count(Unit.id)).where(Unit.name == "新公司")) == 0


def test_import_people_clean_rows(ctx, make_unit, make_professional, runner, tmp_path):
    existing_unit = make_unit(name="人民医院")
    known = make_professional(unit=None, name="旧名", status=PersonStatus.PENDING)
    good, data = _rows_with_errors(existing_unit, known)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["import", "people", str(path), "--clean-rows"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["rows"], summary["created_people"], summary["updated_people"]) == (8, 3, 1)
    assert (summary["created_units"], summary["moved_people"]) == (1, 1)
    assert [e["row"] for e in summary["errors"]] == [5, 6, 7, 8]
    assert "身份证号码" in summary["errors"][0]["message"]
    assert "单位类型" in summary["errors"][3]["message"]
    outcomes = {o["row"]: o["outcome"] for o in summary["outcomes"]}
    assert outcomes[2].startswith("新增人员") and outcomes[4].startswith(
        "调动：自由职业 → 人民医院"
    )
    db.session.expire_all()
    person = db.session.scalar(sa.select(Professional).where(Professional.id_number == good))
    assert person.status is PersonStatus.CONFIRMED and person.unit.name == "新公司"
    assert person.unit.type is UnitType.PRIVATE_ENTERPRISE and person.title_series == "工程"
    moved = db.session.get(Professional, known.id)
    assert (moved.name, moved.unit_id, moved.title_level) == ("旧名", existing_unit.id, "副高")
    assert [e.unit_id for e in moved.employments] == [existing_unit.id]
    assert db.session.scalar(sa.select(sa.func.count(Unit.id)).where(Unit.name == "新公司")) == 1


def test_an_import_never_renames_and_moves_through_the_employment_history(
    ctx, make_unit, make_professional, make_user, runner, tmp_path
):
    """Issue 22.8: 吕志刚 does not become 测试丙; a new unit is a move dated the import day,
    audited and told to both sides; issue 20.14: a known unit's name is enough."""
    from portal.accounts import people
    from portal.audit.models import AuditEvent
    from portal.clock import local_today
    from portal.notifications.models import Notification

    school = make_unit(name="示范县第一中学", type=UnitType.INSTITUTION)
    hospital = make_unit(name="示范县人民医院", type=UnitType.INSTITUTION)
    officer = make_user(Role.BUREAU_OFFICER)
    lv = make_professional(unit=None, name="吕志刚")
    people.move(officer, lv, school, date(2015, 9, 1))
    wang = make_professional(unit=None, name="王晓梅")
    people.move(officer, wang, school, date(2016, 9, 1))
    school_reviewer = make_user(Role.UNIT_REVIEWER, unit=school)
    db.session.commit()
    renamed = roster([["测试丙", lv.id_number, "", "示范县第一中学", "", "", "", ""]])
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(renamed)
    result = runner.invoke(args=["import", "people", str(path)])
    assert result.exit_code == 1
    [error] = json.loads(result.output)["errors"]
    assert "吕志刚" in error["message"] and "测试丙" in error["message"]
    db.session.expire_all()
    assert db.session.get(Professional, lv.id).name == "吕志刚"

    moved = roster([["王晓梅", wang.id_number, "", "示范县人民医院", "", "", "", ""]])
    path = tmp_path / "moved.xlsx"
    path.write_bytes(moved)
    result = runner.invoke(args=["import", "people", str(path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (
        summary["moved_people"] == 1
        and "调动：示范县第一中学 → 示范县人民医院" in (summary["outcomes"][0]["outcome"])
    )
    db.session.expire_all()
    wang = db.session.get(Professional, wang.id)
    today = local_today()
    assert [(e.unit_id, e.started_on, e.ended_on) for e in wang.employments] == [
        (school.id, date(2016, 9, 1), today - timedelta(days=1)),
        (hospital.id, today, None),
    ]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "person.moved")
        )
        == 3
    )  # the two set-ups and the import's
    told = db.session.scalars(
        sa.select(Notification.text).where(Notification.user_id == school_reviewer.id)
    ).all()
    assert any("导入名单登记了单位变更" in t for t in told)


def test_a_unit_name_without_a_code_must_be_known(ctx, make_unit, runner, tmp_path):
    make_unit(name="示范县人民医院")
    data = roster(
        [["新人", make_id_number(date(1990, 1, 1), 21), "", "不存在的单位", "", "", "", ""]]
    )
    path = tmp_path / "unknown.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["import", "people", str(path)])
    [error] = json.loads(result.output)["errors"]
    assert "没有名为“不存在的单位”的单位" in error["message"]
    assert "18位" not in error["message"]


def test_import_unreadable_file_exits_2(runner, tmp_path):
    path = tmp_path / "not.xlsx"
    path.write_text("姓名,身份证号码\n", encoding="utf-8")
    result = runner.invoke(args=["import", "people", str(path)])
    assert result.exit_code == 2 and "无法读取" in result.output
    assert runner.invoke(args=["import", "people", str(tmp_path / "missing.xlsx")]).exit_code == 2
    wrong = tmp_path / "wrong.xlsx"
    book = Workbook()
    book.active.append(["名字"])
    book.save(wrong)
    result = runner.invoke(args=["import", "people", str(wrong)])
    assert result.exit_code == 2 and "姓名" in result.output


def test_page_export_and_import_as_jobs(registered, client, auth, make_user):
    officer = make_user(Role.BUREAU_OFFICER)
    auth.login(officer)
    assert "导出年度登记数据" in client.get("/exchange/").text
    response = client.post("/exchange/export", data={"year": 2025, "fmt": "xlsx"})
    assert response.status_code == 303
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    assert job.state is JobState.DONE and "2 条" in job.message
    download = client.get(f"/jobs/{job.id}/result")
    rows = list(load_workbook(BytesIO(download.data)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADINGS and len(rows) == 3
    data = roster([["坏号", "123", "", "", "", "", "", ""]])
    response = client.post(
        "/exchange/import",
        data={"file": (BytesIO(data), "名单.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "有误 1 行" in page.text and "第2行" in page.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01", "2026-01-01T00:00:00+08:00"),  # a date: midnight, Beijing time
        ("2026-01-01T08:30:00", "2026-01-01T08:30:00+08:00"),
        ("2026-01-01 08:30", "2026-01-01T08:30:00+08:00"),
        ("2026-01-01T08:30:00+08:00", "2026-01-01T08:30:00+08:00"),
        ("2026-01-01T08:30:00 08:00", "2026-01-01T08:30:00+08:00"),  # "+" lost in a URL
        ("2026-01-01T00:30:00Z", "2026-01-01T00:30:00+00:00"),
        (" 2026-01-01 ", "2026-01-01T00:00:00+08:00"),
    ],
)
def test_since_takes_iso_moments(text, expected):
    assert service.parse_since(text).isoformat() == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "2026-01-01T25:00", "1999-12-31"])
def test_since_refuses_what_is_not_a_moment(text):
    from portal.refusal import Refusal

    with pytest.raises(Refusal) as refused:
        service.parse_since(text)
    assert refused.value.message.startswith("起始时间")


def test_export_since_from_the_command_line(registered, runner, tmp_path):
    out = tmp_path / "since.json"
    result = runner.invoke(
        args=["export", "year", "--since", "2025-12-01", "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["since"] == "2025-12-01T00:00:00+08:00" and summary["records"] == 2
    document = json.loads(out.read_text(encoding="utf-8"))
    assert {r["year"] for r in document["records"]} == {2025}
    bad = runner.invoke(args=["export", "year", "--since", "soon", "--out", str(out)])
    assert bad.exit_code == 2 and "起始时间" in bad.output
    neither = runner.invoke(args=["export", "year", "--out", str(out)])
    assert neither.exit_code == 2 and "请指定年度" in neither.output
