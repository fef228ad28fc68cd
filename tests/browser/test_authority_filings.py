"""With the bureau's setting giving plan filings to the authorities, the demo's 市卫健委 officer
finds the pending 卫生 plan under 培训备案审核 in its nav and accepts it; 市教体局 does not see
it; the bureau reads it without a decision form."""

import pytest

from portal.admin.demo import DEMO_PASSWORD, PENDING_PLAN
from portal.extensions import db
from portal.settings import set_setting

pytestmark = pytest.mark.browser


def logout(page):
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login*")


def test_the_authority_decides_the_plans_of_its_series(
    app, live_server, browser_page, browser_login, demo_world
):
    page = browser_page
    with app.test_request_context():
        set_setting("PLAN_DECIDED_BY", "authority")
        db.session.commit()

    browser_login(page, live_server, "bureau", DEMO_PASSWORD)
    page.goto(f"{live_server}/providers/filings")
    assert "市卫健委" in page.content()  # the 审核部门 column
    page.click(f"text={PENDING_PLAN}")
    page.wait_for_url("**/providers/plans/*")
    assert "由市卫健委审核备案，人社局只能查看" in page.content()
    assert page.locator("text=提交审核意见").count() == 0
    page.shot("bureau-reads")
    logout(page)

    browser_login(page, live_server, "authority-edu", DEMO_PASSWORD)
    page.click("nav.nav >> text=培训备案审核")
    page.wait_for_url("**/providers/filings")
    assert PENDING_PLAN not in page.content()
    logout(page)

    browser_login(page, live_server, "authority-health", DEMO_PASSWORD)
    page.click("nav.nav >> text=培训备案审核")
    page.wait_for_url("**/providers/filings")
    assert "市卫健委" in page.content()
    page.shot("authority-filings")
    page.click(f"text={PENDING_PLAN}")
    page.wait_for_url("**/providers/plans/*")
    page.select_option("select[name=decision]", "accept")
    page.click("text=提交审核意见")
    page.wait_for_url("**/providers/filings")
    assert f"已备案：{PENDING_PLAN}" in page.content()
    page.shot("authority-accepted")
    assert page.js_errors == []
