"""A unit publicises its own people in chromium, once the admin allows it on the settings page."""

import re

import pytest

from portal.accounts.models import Role
from portal.declarations.models import Declaration, DeclarationStatus, ReviewingBody
from portal.extensions import db

pytestmark = pytest.mark.browser


def test_a_unit_opens_a_batch_of_its_own_people(
    app,
    live_server,
    browser_page,
    browser_login,
    make_unit,
    make_user,
    make_professional,
    make_submitted_declaration,
):
    page = browser_page
    school, other = make_unit(name="第一中学"), make_unit(name="第二中学")
    reviewer = make_user(Role.UNIT_REVIEWER, unit=school, name="李经办")
    other_reviewer = make_user(Role.UNIT_REVIEWER, unit=other)
    admin = make_user(Role.ADMIN)

    def approved(unit, name, by):
        return make_submitted_declaration(
            make_professional(unit=unit, name=name),
            status=DeclarationStatus.APPROVED,
            unit_id=unit.id,
            reviewing_body=ReviewingBody.UNIT,
            reviewer_id=by.id,
            general_hours=30,
            professional_hours=60,
            total_hours=90,
            compliant=True,
        )

    mine = approved(school, "张三", reviewer)
    approved(other, "李四", other_reviewer)

    browser_login(page, live_server, admin.username)
    page.goto(f"{live_server}/admin/settings")
    page.check("#UNIT_PUBLICITY")
    page.fill("#PUBLICITY_WORKING_DAYS", "4")
    page.click("button:has-text('保存设置')")
    page.wait_for_selector("text=公示期不得少于5个工作日（第十四条）。")
    page.shot("too-short")
    page.fill("#PUBLICITY_WORKING_DAYS", "6")
    page.click("button:has-text('保存设置')")
    page.wait_for_selector("text=已保存：")
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login**")

    browser_login(page, live_server, reviewer.username)
    page.click("nav a:has-text('本单位公示')")
    page.wait_for_url("**/board/unit")
    text = page.inner_text("main")
    assert "张三" in text and "李四" not in text and "共6个工作日" in text
    page.shot("unit-page")
    page.click("button:has-text('发起公示')")
    page.wait_for_url(re.compile(r".*/board/batches/\d+$"))
    assert "第一中学" in page.inner_text("h1")
    page.shot("unit-batch")
    db.session.expire_all()
    assert db.session.get(Declaration, mine.id).status is DeclarationStatus.PUBLICISED
    # The one expected failure is the refused 4 working days.
    assert [e for e in page.js_errors if not e.startswith("422 POST")] == []
