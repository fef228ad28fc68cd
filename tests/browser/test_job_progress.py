"""A job's page polls itself with htmx: the progress bar moves and the download link appears
when the job finishes, without reloading the page; the bell counts unread messages."""

import pytest

from portal.accounts.models import Role
from portal.extensions import db
from portal.jobs import service
from portal.jobs.models import Job, JobState
from portal.notifications.service import notify

pytestmark = pytest.mark.browser


def test_progress_bar_polls_until_done(
    live_server, browser_page, browser_login, make_user, make_unit
):
    page = browser_page
    reviewer = make_user(Role.UNIT_REVIEWER, username="reviewer-progress", unit=make_unit())
    job = Job(kind="test", title="批量打印证书：测试单位 2025年度", created_by_id=reviewer.id)
    job.state, job.done, job.total = JobState.RUNNING, 1, 4
    db.session.add(job)
    notify([reviewer], "test", "一条新消息")
    db.session.commit()
    browser_login(page, live_server, reviewer.username)
    assert page.locator("a.bell .count").inner_text() == "1"
    page.goto(f"{live_server}/jobs/{job.id}")
    assert page.locator("progress").get_attribute("value") == "25"
    page.shot("job-running")
    job.done = 3
    db.session.commit()
    page.wait_for_selector("progress[value='75']")
    job.done, job.state, job.message = 4, JobState.DONE, "已打印 4 份学时登记证书"
    service.save_result(job, b"%PDF-1.4\n", "学时登记证书.pdf")
    db.session.commit()
    page.wait_for_selector("text=下载结果：学时登记证书.pdf")
    assert page.locator("progress").get_attribute("value") == "100"
    assert page.locator("[data-state='done']").count() == 1
    page.shot("job-done")
    page.click("nav.nav >> text=本单位情况")
    page.wait_for_selector("text=学时情况")
    page.shot("dashboard")
    assert not page.js_errors, page.js_errors
