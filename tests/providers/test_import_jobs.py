"""List and courseware imports as background jobs (huey in immediate mode, as in the other job
tests): the upload is checked and stored first, the job imports with progress, the import's page
shows the result; the rows received with their outcome and the rows not taken are downloaded as
Excel by the provider and the bureau, and no one else."""

from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.declarations.models import Claim
from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.providers import lists
from portal.providers.models import ImportKind, ProviderImport, QualifiedRow
from portal.storage import files
from tests.providers.conftest import list_file

STRANGER = make_id_number(date(1980, 5, 5), 77)  # a valid ID number nobody holds


@pytest.fixture
def world(app, make_unit, make_user, make_professional, make_provider_user, make_plan):
    provider_user = make_provider_user()
    plan = make_plan(provider_user)
    unit = make_unit()
    people = [make_professional(unit=unit, name=n) for n in ("王晓梅", "朱晓东")]
    return {
        "provider": provider_user,
        "other_provider": make_provider_user("另一继续教育基地"),
        "officer": make_user(Role.BUREAU_OFFICER),
        "unit_reviewer": make_user(Role.UNIT_REVIEWER, unit=unit),
        "authority": make_user(Role.AUTHORITY_OFFICER),
        "plan": plan,
        "people": people,
    }


def mixed_list(people) -> bytes:
    """Row 6 matches a person, row 7 has the wrong hours, row 8 names nobody on record (and
    a name a spreadsheet would run as a formula)."""
    a, b = people
    return list_file(
        [
            (a.name, "某中学", a.id_number, "一级教师", 12, "合格"),
            (b.name, "某中学", b.id_number, "一级教师", 20, "合格"),
            ("+SUM(1,2)", "某中学", STRANGER, "", 12, "合格"),
        ]
    )


def upload(client, plan, content, clean_rows=False):
    data = {"file": (BytesIO(content), "名单.xlsx")}
    if clean_rows:
        data["clean_rows"] = "y"
    return client.post(f"/providers/plans/{plan.id}/list", data=data)


def sheet_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(BytesIO(data)).worksheets[0].iter_rows(values_only=True))


def test_a_list_upload_runs_as_a_job_and_shows_its_result(app, client, auth, world):
    plan, (a, b) = world["plan"], world["people"]
    auth.login(world["provider"])
    response = upload(client, plan, mixed_list(world["people"]), clean_rows=True)
    assert response.status_code == 303
    with app.app_context():
        entry = db.session.scalar(sa.select(ProviderImport))
        assert response.headers["Location"].endswith(f"/providers/imports/{entry.id}")
        assert entry.kind is ImportKind.LIST and entry.plan_id == plan.id and entry.clean_rows
        job = db.session.get(Job, entry.job_id)
        assert job.state is JobState.DONE and job.kind == "providers.import_list"
        assert job.total == 9 and job.done == job.total  # the sheet's rows, all read
        assert job.summary["matched"] == 1 and job.summary["unmatched"] == 1
        assert [e["row"] for e in job.summary["errors"]] == [7]
        claim = db.session.scalar(sa.select(Claim))
        assert claim.declaration.professional_id == a.id
        assert db.session.scalar(sa.select(sa.func.count(QualifiedRow.id))) == 2
        actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert {"import.queued", "list.imported"} <= set(actions)
    page = client.get(f"/providers/imports/{entry.id}")
    assert page.status_code == 200
    assert "已完成" in page.text and "报送1人" in page.text and "未匹配1人" in page.text
    assert "第7行" in page.text and "培训学时20超过备案计划的12学时" in page.text
    assert 'value="100"' in page.text  # the progress bar, full
    assert "hx-trigger" not in page.text  # finished: no more polling
    # The plan's page lists the import with its downloads.
    plan_page = client.get(f"/providers/plans/{plan.id}").text
    assert f"/providers/imports/{entry.id}/received.xlsx" in plan_page
    assert f"/providers/imports/{entry.id}/unmatched.xlsx" in plan_page

    received = client.get(f"/providers/imports/{entry.id}/received.xlsx")
    assert received.status_code == 200 and received.mimetype.endswith("sheet")
    rows = sheet_rows(received.data)
    assert rows[1] == (
        "行号", "姓名", "单位", "身份证号码", "技术职称", "培训学时", "考试结果",
        "处理结果", "匹配人员", "报送条目", "问题说明",
    )  # fmt: skip
    by_row = {r[0]: r for r in rows[2:]}
    assert by_row[6][1:4] == (a.name, "某中学", a.id_number)
    assert by_row[6][7:10] == (
        "已报送",
        a.name,
        f"{plan.end_date.year}年度申报 报送条目#{claim.id}",
    )
    assert by_row[7][5] == 20 and by_row[7][7] == "有错误，未导入"
    assert by_row[7][10] == "培训学时20超过备案计划的12学时"
    assert by_row[8][7] == "未匹配人员" and "没有该身份证号码的人员" in by_row[8][10]
    assert by_row[8][1] == "'+SUM(1,2)"  # written as text, never a formula

    unmatched = client.get(f"/providers/imports/{entry.id}/unmatched.xlsx")
    assert unmatched.status_code == 200
    rows = sheet_rows(unmatched.data)
    assert rows[4] == lists.LIST_HEADERS  # the 附件2 layout of the page's template
    assert [r[1:7] for r in rows[5:7]] == [
        (b.name, "某中学", b.id_number, "一级教师", 20, "合格"),
        ("'+SUM(1,2)", "某中学", STRANGER, None, 12, "合格"),
    ]
    assert rows[5][7] == "培训学时20超过备案计划的12学时"
    assert rows[7][0] == "联系人："


def test_the_corrected_rows_can_be_sent_again(app, client, auth, world):
    plan, (a, b) = world["plan"], world["people"]
    auth.login(world["provider"])
    upload(client, plan, mixed_list(world["people"]), clean_rows=True)
    with app.app_context():
        first = db.session.scalar(sa.select(ProviderImport.id))
    book = load_workbook(BytesIO(client.get(f"/providers/imports/{first}/unmatched.xlsx").data))
    sheet = book.worksheets[0]
    sheet.cell(row=6, column=6, value=12)  # the hours corrected
    out = BytesIO()
    book.save(out)
    response = upload(client, plan, out.getvalue())
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    # b is now reported; the stranger's row was already received (still unmatched): unchanged.
    assert "报送1人" in page and "此前已导入1人" in page
    with app.app_context():
        people = {c.declaration.professional_id for c in db.session.scalars(sa.select(Claim))}
        assert people == {a.id, b.id}


def test_a_file_with_errors_imports_nothing_and_every_row_is_to_resend(app, client, auth, world):
    plan = world["plan"]
    auth.login(world["provider"])
    response = upload(client, plan, mixed_list(world["people"]))
    page = client.get(response.headers["Location"]).text
    assert "未导入任何行" in page and "第7行" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(QualifiedRow.id))) == 0
        entry = db.session.scalar(sa.select(ProviderImport))
    rows = sheet_rows(client.get(f"/providers/imports/{entry.id}/received.xlsx").data)
    assert [r[7] for r in rows[2:]] == [
        "文件有错误，未导入",
        "有错误，未导入",
        "文件有错误，未导入",
    ]
    resend = sheet_rows(client.get(f"/providers/imports/{entry.id}/unmatched.xlsx").data)
    assert len([r for r in resend[5:] if isinstance(r[0], int)]) == 3


def test_the_upload_is_checked_before_anything_is_queued(app, client, auth, world, make_plan):
    plan = world["plan"]
    auth.login(world["provider"])
    for content, message in (
        (b"not a workbook", "无法读取该文件"),
        (b"", "上传的文件是空的"),
    ):
        response = upload(client, plan, content)
        assert response.status_code == 422 and message in response.text
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["名字", "号码"])
    out = BytesIO()
    book.save(out)
    response = upload(client, plan, out.getvalue())
    assert response.status_code == 422 and "未找到表头" in response.text
    assert 'class="error"' in response.text or "field-error" in response.text
    from datetime import timedelta

    running = make_plan(
        world["provider"], filing_no="BA2026-0002", end_date=date.today() + timedelta(days=3)
    )
    response = upload(client, running, mixed_list(world["people"]))
    assert response.status_code == 422 and "结束后才能报送合格人员名单" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(ProviderImport.id))) == 0


def test_who_sees_an_import_and_its_files(app, client, auth, world):
    auth.login(world["provider"])
    upload(client, world["plan"], mixed_list(world["people"]), clean_rows=True)
    auth.logout()
    with app.app_context():
        entry = db.session.scalar(sa.select(ProviderImport))
    urls = [
        f"/providers/imports/{entry.id}",
        f"/providers/imports/{entry.id}/received.xlsx",
        f"/providers/imports/{entry.id}/unmatched.xlsx",
    ]
    expected = {"officer": 200, "other_provider": 404, "unit_reviewer": 404, "authority": 404}
    for actor, status in expected.items():
        auth.login(world[actor])
        assert [client.get(url).status_code for url in urls] == [status] * 3, actor
        auth.logout()
    # The bureau sees the import on the plan's page too.
    auth.login(world["officer"])
    assert (
        f"/providers/imports/{entry.id}" in client.get(f"/providers/plans/{world['plan'].id}").text
    )


def test_an_import_with_every_row_taken_has_nothing_to_resend(app, client, auth, world):
    a = world["people"][0]
    auth.login(world["provider"])
    content = list_file([(a.name, "", a.id_number, "", 12, "合格")])
    response = upload(client, world["plan"], content)
    page = client.get(response.headers["Location"]).text
    assert "下载接收结果" in page and "下载未匹配与有误的记录" not in page
    with app.app_context():
        entry = db.session.scalar(sa.select(ProviderImport))
    assert client.get(f"/providers/imports/{entry.id}/unmatched.xlsx").status_code == 404


def test_progress_is_reported_while_the_rows_are_read(app, world):
    plan = world["plan"]
    rows = [
        (f"人员{n}", "", make_id_number(date(1970, 1, 1), n), "", 12, "合格") for n in range(600)
    ]
    content = list_file(rows)
    seen = []
    with app.test_request_context():
        assert lists.row_estimate(content, "名单.xlsx", allow_csv=False) == 606
        summary = lists.import_list(
            None, plan, content, "名单.xlsx", progress=lambda done, total=None: seen.append(done)
        )
    assert seen == [250, 500] and summary.unmatched == 600


COURSEWARE = "身份证号码,姓名,课程名称,标定学时,科目,学习日期,考试成绩\n"


def test_courseware_imports_run_as_jobs_with_their_exports(app, client, auth, world):
    a = world["people"][0]
    csv = (
        COURSEWARE
        + f"{a.id_number},{a.name},职业道德,3,公需科目,2025-06-30,90\n"
        + f"{STRANGER},张三,职业道德,3,公需科目,2025-06-30,88\n"
        + f"{a.id_number},{a.name},专业课程,2,选修,2025-07-01,80\n"
    )
    auth.login(world["provider"])
    response = client.post(
        "/providers/courseware",
        data={"file": (BytesIO(csv.encode()), "记录.csv"), "clean_rows": "y"},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "报送1条" in page and "未匹配1条" in page and "科目应为" in page
    with app.app_context():
        entry = db.session.scalar(sa.select(ProviderImport))
        assert entry.kind is ImportKind.COURSEWARE
        assert entry.provider_id == world["provider"].provider_id
    assert f"/providers/imports/{entry.id}" in client.get("/providers/courseware").text
    rows = sheet_rows(client.get(f"/providers/imports/{entry.id}/received.xlsx").data)
    assert rows[1][:8] == ("行号", *lists.COURSEWARE_HEADERS)
    by_row = {r[0]: r for r in rows[2:]}
    assert by_row[2][8] == "已报送" and by_row[2][9] == a.name
    assert by_row[3][8] == "未匹配人员"
    assert by_row[4][8] == "有错误，未导入" and "科目应为" in by_row[4][11]
    resend = sheet_rows(client.get(f"/providers/imports/{entry.id}/unmatched.xlsx").data)
    assert resend[0] == (*lists.COURSEWARE_HEADERS, "问题说明")
    assert [r[0] for r in resend[1:]] == [STRANGER, a.id_number]
    assert resend[2][4] == "选修" and "科目应为" in resend[2][7]
    auth.logout()
    # Another provider neither lists nor opens it; the bureau does both.
    auth.login(world["other_provider"])
    assert f"/providers/imports/{entry.id}" not in client.get("/providers/courseware").text
    assert client.get(f"/providers/imports/{entry.id}/received.xlsx").status_code == 404
    auth.logout()
    auth.login(world["officer"])
    assert f"/providers/imports/{entry.id}" in client.get("/providers/courseware").text
    assert client.get(f"/providers/imports/{entry.id}/unmatched.xlsx").status_code == 200


def test_a_running_import_page_polls_its_progress(app, client, auth, world):
    """A job not yet finished: the page shows the bar and polls itself with htmx."""
    auth.login(world["provider"])
    upload(client, world["plan"], mixed_list(world["people"]), clean_rows=True)
    with app.app_context():
        entry = db.session.scalar(sa.select(ProviderImport))
        job = db.session.get(Job, entry.job_id)
        job.state, job.done, job.total = JobState.RUNNING, 5, 10
        entry_id = entry.id
        db.session.commit()
    page = client.get(f"/providers/imports/{entry_id}").text
    assert 'value="50"' in page and "已读取 5 / 10 行" in page
    assert f'hx-get="/providers/imports/{entry_id}"' in page and "every 1s" in page
    fragment = client.get(f"/providers/imports/{entry_id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="import-' in fragment.text


def test_the_command_line_imports_synchronously_and_writes_the_workbooks(
    app, runner, world, tmp_path
):
    """No job: the CLI runs the same service in its own process and can write both files."""
    import json

    plan, (_, b) = world["plan"], world["people"]
    path = tmp_path / "名单.xlsx"
    path.write_bytes(mixed_list(world["people"]))
    received, unmatched = tmp_path / "received.xlsx", tmp_path / "unmatched.xlsx"
    result = runner.invoke(
        args=["providers", "import-list", plan.filing_no, str(path), "--clean-rows",
              "--received", str(received), "--unmatched", str(unmatched)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["matched"] == 1
    rows = sheet_rows(received.read_bytes())
    assert [r[7] for r in rows[2:]] == ["已报送", "有错误，未导入", "未匹配人员"]
    assert [r[3] for r in sheet_rows(unmatched.read_bytes())[5:7]] == [b.id_number, STRANGER]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    bad = runner.invoke(
        args=["providers", "import-list", plan.filing_no, str(path), "--received", "/nonexistent/x.xlsx"]
    )  # fmt: skip
    assert bad.exit_code == 2 and "无法写入文件" in bad.stderr


def test_a_job_that_cannot_import_says_why(app, client, auth, world, monkeypatch):
    """Checked at upload, changed before the consumer ran it: the job fails with the reason."""
    from datetime import timedelta

    from portal.jobs import service as jobs
    from portal.providers import tasks
    from portal.providers.models import TrainingPlan

    held = []
    monkeypatch.setattr(tasks, "import_task", held.append)
    auth.login(world["provider"])
    response = upload(client, world["plan"], mixed_list(world["people"]))
    assert response.status_code == 303 and len(held) == 1
    assert "正在排队" in client.get(response.headers["Location"]).text
    with app.app_context():
        plan = db.session.get(TrainingPlan, world["plan"].id)
        plan.end_date = date.today() + timedelta(days=5)
        db.session.commit()
        jobs.run(held[0], tasks.import_work)
        job = db.session.get(Job, held[0])
        assert job.state is JobState.FAILED
        assert db.session.scalar(sa.select(sa.func.count(QualifiedRow.id))) == 0
    page = client.get(response.headers["Location"]).text
    assert "导入失败：培训于" in page and "结束后才能报送合格人员名单" in page
    assert "下载接收结果" not in page
    # The stored upload does not stay behind.
    import os

    with app.app_context():
        assert not [
            n for n in os.listdir(files.store().folder(files.JOBS)) if n.startswith("upload-")
        ]
