"""A qualified list uploaded in chromium is imported by a background job: the import's page shows
the job queued, then its progress bar moving, then (without reloading) the result with the row
errors in Chinese and the two Excel downloads."""

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import Role
from portal.extensions import db
from portal.jobs import service as jobs
from portal.jobs.models import Job, JobState
from portal.providers import tasks
from portal.providers.models import PlanForm, PlanState, ProviderImport, TrainingPlan
from portal.units.models import Provider
from tests.providers.conftest import list_file

pytestmark = pytest.mark.browser


def test_upload_shows_progress_then_the_result(
    app, live_server, browser_page, browser_login, make_user, make_professional, tmp_path,
    monkeypatch,
):  # fmt: skip
    page = browser_page
    with app.app_context():
        provider = Provider(name="合肥工业学校", phone="62611533")
        db.session.add(provider)
        db.session.commit()
        user = make_user(Role.PROVIDER, provider=provider)
        person = make_professional(name="王晓梅")
        end = date.today().replace(day=1)
        plan = TrainingPlan(
            provider_id=provider.id, title="中小学教师信息技术应用能力提升培训",
            subject="professional", start_date=end.replace(year=end.year - 1), end_date=end,
            days=2, hours_per_day=6, form=PlanForm.FACE, state=PlanState.ACCEPTED,
            filing_no="BA2026-0007", filed_on=end.replace(year=end.year - 1), filed_by_id=user.id,
        )  # fmt: skip
        db.session.add(plan)
        db.session.commit()
        plan_id, username, person_id = plan.id, user.username, person.id_number
    # The consumer is not running: the job waits in the queue until the test runs it.
    queued = []
    monkeypatch.setattr(tasks, "import_task", queued.append)

    listed = tmp_path / "合格人员名单.xlsx"
    stranger = make_id_number(date(1980, 5, 5), 77)
    listed.write_bytes(
        list_file(
            [
                ("王晓梅", "某中学", person_id, "一级教师", 12, "合格"),
                ("朱晓东", "某中学", stranger, "一级教师", 20, "合格"),
            ]
        )
    )
    browser_login(page, live_server, username)
    page.goto(f"{live_server}/providers/plans/{plan_id}")
    page.set_input_files("input[name=file]", str(listed))
    page.check("input[name=clean_rows]")
    page.click("text=上传并导入")
    page.wait_for_url("**/providers/imports/*")
    assert page.locator("[data-state='queued']").count() == 1
    assert "正在排队" in page.content()
    page.shot("queued")
    [job_id] = queued

    with app.app_context():
        job = db.session.get(Job, job_id)
        job.state, job.done, job.total = JobState.RUNNING, 3, 8
        db.session.commit()
    page.wait_for_selector("text=已读取 3 / 8 行")
    assert page.locator("progress").get_attribute("value") == "37"
    page.shot("running")

    # The consumer runs it now (in this thread, as huey's worker would in its own).
    with app.app_context():
        jobs.run(job_id, tasks.import_work)
    page.wait_for_selector("[data-state='done']")
    content = page.content()
    assert "报送1人" in content and "未匹配0人" in content
    assert "第7行" in content and "培训学时20超过备案计划的12学时" in content
    assert page.locator("progress").get_attribute("value") == "100"
    page.shot("done")

    with page.expect_download() as download:
        page.click("text=下载接收结果（Excel）")
    rows = list(
        load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert [r[7] for r in rows[2:]] == ["已报送", "有错误，未导入"]
    with page.expect_download() as download:
        page.click("text=下载未匹配与有误的记录")
    assert download.value.suggested_filename.endswith(".xlsx")
    rows = list(
        load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[5][1:3] == ("朱晓东", "某中学")

    page.click("text=返回")
    page.wait_for_url(f"**/providers/plans/{plan_id}")
    assert page.locator("table.imports >> text=已完成").count() == 1
    page.shot("plan-imports")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ProviderImport.id))) == 1
    assert page.js_errors == []
