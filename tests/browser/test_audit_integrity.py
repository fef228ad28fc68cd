"""The auditor checks the audit log's integrity from the audit page (htmx, no reload), sees the
nightly check's last run, and sees a tampered event named."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.admin.audit_tasks import KIND, audit_nightly
from portal.audit.service import record
from portal.extensions import db
from portal.jobs.service import run_periodic

pytestmark = pytest.mark.browser


def test_the_auditor_checks_the_chain_on_the_page(
    app, live_server, browser_page, browser_login, make_user
):
    page = browser_page
    auditor = make_user(Role.AUDITOR, username="auditor-chain")
    for n in range(3):
        record("unit.create", detail=f"新增单位{n}", username="admin")
    db.session.commit()
    run_periodic(KIND, audit_nightly.work)
    browser_login(page, live_server, auditor.username)
    page.goto(f"{live_server}/audit/")
    integrity = page.locator("#audit-integrity")
    assert "每晚校验" in integrity.inner_text() and "已完成" in integrity.inner_text()
    page.click("#audit-integrity button")
    page.wait_for_selector("#audit-integrity >> text=刚才的校验：审计日志完整")
    page.shot("intact")

    db.session.execute(sa.text("UPDATE audit_event SET detail = '已改动' WHERE seq = 2"))
    db.session.commit()
    page.click("#audit-integrity button")
    page.wait_for_selector("#audit-integrity >> text=审计日志不完整")
    assert "序号 2 的审计记录" in integrity.inner_text()
    page.shot("broken")
    assert page.js_errors == []
