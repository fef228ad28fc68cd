"""Issue 11 in chromium: a provider files a plan → the bureau accepts it (filing number) →
after the training the provider uploads the qualified list from the page's template → the
person finds the prepared claim "由施教机构报送" in their draft, locked, and may drop it."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.extensions import db
from portal.providers.models import TrainingPlan
from portal.units.models import Provider
from tests.providers.conftest import list_file

pytestmark = pytest.mark.browser


def logout(page):
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login*")


def test_from_filing_to_the_prepared_claim(
    app, live_server, browser_page, browser_login, make_user, make_professional, tmp_path
):
    page = browser_page
    with app.app_context():
        provider = Provider(name="合肥工业学校", phone="62611533")
        db.session.add(provider)
        db.session.commit()
        provider_user = make_user(Role.PROVIDER, provider=provider).username
        officer = make_user(Role.BUREAU_OFFICER).username
        person = make_professional(name="王晓梅")
        person_login, person_id = person.user.username, person.id_number

    start = date.today() + timedelta(days=60)
    browser_login(page, live_server, provider_user)
    assert page.url.endswith("/providers/")
    page.click("text=提交培训计划备案")
    page.fill("input[name=title]", "中小学教师信息技术应用能力提升培训")
    page.fill("input[name=start_date]", start.isoformat())
    page.fill("input[name=end_date]", (start + timedelta(days=1)).isoformat())
    page.fill("input[name=days]", "2")
    page.fill("input[name=hours_per_day]", "6")
    page.click("button:has-text('提交备案')")
    page.wait_for_url("**/providers/plans/*")
    assert "待审核" in page.content()
    page.shot("filed")
    logout(page)

    browser_login(page, live_server, officer)
    page.goto(f"{live_server}/providers/filings")
    page.click("text=中小学教师信息技术应用能力提升培训")
    page.select_option("select[name=decision]", "accept")
    page.click("text=提交审核意见")
    page.wait_for_url("**/providers/filings")
    page.wait_for_load_state("load")
    page.select_option("select[name=state]", "accepted")
    # The filter swaps on change; 查询 submits the same (a second, identical request under load
    # is harmless, and the plain form works where htmx has not started yet).
    page.click("button:has-text('查询')")
    page.wait_for_url("**state=accepted")
    assert "已备案" in page.content()
    logout(page)

    # The training takes place: its dates move into the past.
    with app.app_context():
        plan = db.session.scalar(sa.select(TrainingPlan))
        plan.start_date, plan.end_date = (
            date.today() - timedelta(days=3),
            date.today() - timedelta(days=2),
        )
        db.session.commit()
        filing_no = plan.filing_no
    assert filing_no

    browser_login(page, live_server, provider_user)
    page.click("text=中小学教师信息技术应用能力提升培训")
    with page.expect_download() as download:
        page.click("text=下载名单模板")
    assert download.value.suggested_filename.endswith(".xlsx")
    listed = tmp_path / "list.xlsx"
    listed.write_bytes(list_file([("王晓梅", "某中学", person_id, "一级教师", 50, "合格")]))
    page.set_input_files("input[name=file]", str(listed))
    page.click("text=上传并导入")
    page.wait_for_url("**/providers/imports/*")  # the import ran as a job: its page
    page.wait_for_selector("[data-state='done']")
    assert "第6行" in page.content() and "培训学时50超过备案计划的12学时" in page.content()
    page.shot("row-errors")
    page.click("text=返回")
    page.wait_for_url("**/providers/plans/*")
    listed.write_bytes(list_file([("王晓梅", "某中学", person_id, "一级教师", 12, "合格")]))
    page.set_input_files("input[name=file]", str(listed))
    page.click("text=上传并导入")
    page.wait_for_url("**/providers/imports/*")
    page.wait_for_selector("[data-state='done']")
    assert "报送1人" in page.content()
    logout(page)

    browser_login(page, live_server, person_login)
    page.goto(f"{live_server}/declarations/{(date.today() - timedelta(days=2)).year}")
    content = page.content()
    assert "由施教机构报送" in content and filing_no in content and "12" in content
    assert page.locator("a:has-text('修改')").count() == 0
    page.shot("prepared-claim")
    assert page.js_errors == []
