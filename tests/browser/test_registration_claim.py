"""Issue 20.1 / 22.7 and 20.6 in a real browser: a stranger registers with an imported person's
ID number, name and unit and sees nothing of her record; the unit's 人员确认 row (and its 消息)
says to check whether it is her, and it refuses; the real person opens her account with the
code the unit hands out and sees her year. Then an objector raises an objection on the board,
gets its number and follows it by that number."""

from datetime import date

import pytest
from playwright.sync_api import expect

from portal.accounts import people, registrations
from portal.accounts.models import Role
from portal.extensions import db
from portal.units.models import UnitType
from tests.conftest import PASSWORD
from tests.providers.test_changes_are_told import publicised

pytestmark = pytest.mark.browser

OWN_PASSWORD = "Her#Own2026"


def _logout(page, base):
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{base}/login")


def test_a_stranger_with_an_imported_persons_data_sees_nothing(
    live_server,
    browser_page,
    browser_login,
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
):
    page, base = browser_page, live_server
    school = make_unit(name="示范县第一中学", type=UnitType.INSTITUTION)
    reviewer = make_user(Role.UNIT_REVIEWER, unit=school, username="school1")
    person = make_professional(unit=None, account=False, name="王晓梅", phone="13811112222")
    people.move(reviewer, person, school, date(2012, 9, 1))
    make_registered_declaration(person, 2024, general=36, professional=72)
    db.session.commit()

    # The stranger: registers with her ID number, name and unit, and logs in.
    page.goto(f"{base}/register")
    page.fill("#id_number", person.id_number)
    page.fill("#name", "王晓梅")
    page.fill("#phone", "13999990000")
    page.select_option("#unit", label="示范县第一中学")
    page.fill("#works_since", "2020-01-01")
    page.select_option("#title_series", "教师")
    page.select_option("#title_level", "中级")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("form button[type=submit]:has-text('注册')")
    page.wait_for_url(f"{base}/login")
    browser_login(page, base, person.id_number)
    expect(page.locator("h1")).to_have_text("注册待确认")
    main = page.locator("main").inner_text()
    assert "正在等待单位核实" in main and "2024" not in main and "108" not in main
    page.shot("stranger-waits")
    _logout(page, base)

    # The unit: told in 消息, the row asks whether it is her; it refuses.
    browser_login(page, base, reviewer.username)
    page.get_by_role("link", name="消息").first.click()
    expect(page.locator("main")).to_contain_text("以王晓梅的身份证号码和姓名自行注册")
    page.get_by_role("link", name="人员确认").click()
    row = page.locator("#requests tr", has_text="王晓梅")
    expect(row).to_contain_text(registrations.CHECK_NOTE)
    page.shot("unit-row")
    row.locator("summary", has_text="不予确认").click()
    row.locator("textarea").fill("经电话核实，本人未注册")
    row.locator("button.danger").click()
    expect(page.locator("main")).to_contain_text("王晓梅的记录保持不变")
    # ... and hands the real person a code from her record.
    page.goto(f"{base}/people/{person.id}")
    page.get_by_role("button", name="生成激活码").click()
    code = page.locator("#activation-code").inner_text()
    _logout(page, base)

    # The stranger can no longer log in; the real person activates and sees her year.
    browser_login(page, base, person.id_number)
    expect(page.locator("main")).to_contain_text("账号或密码不正确")
    page.goto(f"{base}/activate")
    page.fill("#id_number", person.id_number)
    page.fill("#code", code)
    page.fill("#password", OWN_PASSWORD)
    page.fill("#confirm", OWN_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/declarations/")
    expect(page.locator("main")).to_contain_text("2024")
    page.get_by_role("link", name="个人信息").click()
    expect(page.locator("input[name=phone]")).to_have_value("13811112222")  # not the stranger's
    page.shot("person-activated")
    _logout(page, base)
    # The login answered 422 to the stranger's attempt: the one error response expected.
    assert [e for e in page.js_errors if not e.endswith("/login")] == [], page.js_errors


def test_an_objector_follows_the_objection_by_its_number(
    live_server, browser_page, make_unit, make_user, make_professional, make_submitted_declaration
):
    page, base = browser_page, live_server
    publicised(make_unit, make_user, make_professional, make_submitted_declaration, "朱晓东")
    db.session.commit()

    page.goto(f"{base}/board")
    page.locator("tr", has_text="朱晓东").get_by_role("link", name="提出异议").click()
    page.fill("#name", "李明")
    page.fill("#contact", "13800001111")
    page.fill("#content", "该同志当年培训期间在外地工作，证明材料存疑。")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_url(f"{base}/board/objection-status/YY-*")
    flash = page.locator(".flashes").inner_text()
    number = page.locator("#objection-status dd.mono").inner_text()
    assert f"异议编号：{number}" in flash
    expect(page.locator("#objection-status")).to_contain_text("待处理")
    assert "李明" not in page.locator("main").inner_text()
    page.shot("objection-number")
    # Later, from the board: typed without dashes, in lower case.
    page.goto(f"{base}/board")
    page.get_by_role("link", name="查询异议处理情况").click()
    page.fill("#reference", number.replace("-", "").lower())
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#objection-status")).to_contain_text(number)
    assert not page.js_errors, page.js_errors
