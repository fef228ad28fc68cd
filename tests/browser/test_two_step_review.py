"""The two-step yearly review clicked through in chromium: the admin turns it on, the teacher
submits, the authority officer (市教体局) passes the professional claims, the bureau officer
approves the general claims and the total and publicises the year."""

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import PersonTitle, Role
from portal.declarations.models import Declaration, DeclarationStatus
from portal.extensions import db
from portal.units.models import Authority, TitleLevel, TitleSeries, UnitType

pytestmark = pytest.mark.browser


def _decide_claims(page, subject_label):
    """Accept every claim whose decision form is on the page (the step's subject only)."""
    forms = page.locator("form.decision-form")
    for i in range(forms.count()):
        form = forms.nth(i)
        form.locator("input[value=accepted]").check()
        form.locator("button:has-text('保存认定')").click()
        form.page.wait_for_selector(f"form.decision-form >> nth={i} >> text=已保存")
    assert forms.count() >= 1, subject_label


def _log_out(page):
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login**")


def _turn_two_steps_on(page, live_server, browser_login, admin):
    browser_login(page, live_server, admin.username)
    page.goto(f"{live_server}/admin/settings")
    page.check("#TWO_STEP_REVIEW")
    page.click("button:has-text('保存设置')")
    page.wait_for_selector("text=已保存：")


def _submit(page, live_server, browser_login, person, draft):
    browser_login(page, live_server, person.user.username)
    page.goto(f"{live_server}/declarations/{draft.year}")
    page.click("text=提交申报…")
    page.click("button:has-text('确认提交')")
    page.wait_for_selector("text=分两步核验")


def test_two_steps_end_to_end(
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
    authority = Authority(name="市教体局")
    series = TitleSeries(name="中小学教师", authority=authority)
    person = make_professional(unit=make_unit(type=UnitType.INSTITUTION), name="王晓梅")
    person.titles.append(PersonTitle(series=series, level=TitleLevel.INTERMEDIATE))
    draft = make_submitted_declaration(person, status=DeclarationStatus.DRAFT)
    admin = make_user(Role.ADMIN, name="管理员")
    edu = make_user(Role.AUTHORITY_OFFICER, authority=authority, name="钱文静")
    officer = make_user(Role.BUREAU_OFFICER, name="方卫国")
    db.session.commit()

    # The admin turns the two steps on.
    _turn_two_steps_on(page, live_server, browser_login, admin)
    _log_out(page)

    # The teacher submits.
    _submit(page, live_server, browser_login, person, draft)
    assert "待市教体局核验" in page.inner_text("main")
    page.shot("submitted")
    _log_out(page)

    # The authority officer lands on its queue and passes the professional claims.
    browser_login(page, live_server, edu.username)
    assert page.url.endswith("/review/")
    assert "专业科目核验" in page.inner_text("nav")
    page.click("main table a:has-text('核验')")
    page.wait_for_url(re.compile(r".*/review/\d+$"))
    assert page.locator("form.decision-form").count() == 1  # the professional claim only
    _decide_claims(page, "专业科目")
    page.shot("first-step")
    page.click("button:has-text('专业科目核验通过')")
    page.wait_for_selector("text=专业科目已核验通过，转人社局")
    assert "钱文静于" in page.inner_text("main")
    _log_out(page)

    # The bureau officer approves the general claims and the total, then publicises.
    browser_login(page, live_server, officer.username)
    page.goto(f"{live_server}/review/")
    row = page.locator("main table tr", has_text="王晓梅")
    assert "专业科目已核验，待人社局核验" in row.inner_text()
    row.locator("a:has-text('核验')").click()
    page.wait_for_url(re.compile(r".*/review/\d+$"))
    assert page.locator("form.decision-form").count() == 1  # the general claim only
    _decide_claims(page, "公需科目")
    page.click("button:has-text('核验通过')")
    page.wait_for_selector("text=已核验通过")
    page.shot("second-step")
    page.goto(f"{live_server}/board/batches")
    page.check("main tr:has-text('王晓梅') input[name=declarations]")  # ticked only when compliant
    page.click("button:has-text('发起公示')")
    page.wait_for_url(re.compile(r".*/board/batches/\d+$"))
    page.shot("publicised")
    db.session.expire_all()
    declaration = db.session.scalar(sa.select(Declaration).where(Declaration.id == draft.id))
    assert declaration.status is DeclarationStatus.PUBLICISED
    assert declaration.first_reviewer_id == edu.id and declaration.reviewer_id == officer.id
    assert page.js_errors == []


def test_a_first_step_whose_authority_has_no_officer_is_seen_and_done_by_the_unit(
    app,
    live_server,
    browser_page,
    browser_login,
    make_unit,
    make_user,
    make_professional,
    make_submitted_declaration,
):
    """Issue 20.4: turning two steps on warns of an authority without an officer; the first step
    of its series goes to the person's unit, which finds it in its queue; the bureau sees it
    waiting on the first-steps list."""
    page = browser_page
    authority = Authority(name="市卫健委")  # no officer account
    series = TitleSeries(name="卫生", authority=authority)
    unit = make_unit(type=UnitType.INSTITUTION, name="示范县人民医院")
    person = make_professional(unit=unit, name="朱晓东")
    person.titles.append(PersonTitle(series=series, level=TitleLevel.INTERMEDIATE))
    draft = make_submitted_declaration(person, status=DeclarationStatus.DRAFT)
    admin = make_user(Role.ADMIN, name="管理员")
    clerk = make_user(Role.UNIT_REVIEWER, unit=unit, name="孔令华")
    officer = make_user(Role.BUREAU_OFFICER, name="方卫国")
    db.session.commit()

    _turn_two_steps_on(page, live_server, browser_login, admin)
    warning = page.inner_text("main")
    assert "没有经办人账号" in warning and "市卫健委" in warning
    _log_out(page)
    _submit(page, live_server, browser_login, person, draft)
    _log_out(page)

    browser_login(page, live_server, officer.username)
    page.goto(f"{live_server}/review/first-steps")
    waiting = page.inner_text("main")
    assert "朱晓东" in waiting and "市卫健委" in waiting
    page.shot("first-steps-waiting")
    _log_out(page)

    browser_login(page, live_server, clerk.username)
    page.goto(f"{live_server}/review/")
    assert "暂无核验任务" not in page.inner_text("main")
    page.locator("main table tr", has_text="朱晓东").locator("a:has-text('核验')").click()
    page.wait_for_url(re.compile(r".*/review/\d+$"))
    _decide_claims(page, "专业科目")
    page.click("button:has-text('专业科目核验通过')")
    page.wait_for_selector("text=专业科目已核验通过")
    db.session.expire_all()
    declaration = db.session.get(Declaration, draft.id)
    assert declaration.status is DeclarationStatus.PROFESSIONAL_CHECKED
    assert declaration.first_reviewer_id == clerk.id
    assert page.js_errors == []
