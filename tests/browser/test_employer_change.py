"""An employer change in a real browser (issue 20.2): the new unit enters a newcomer, the move
waits; the old unit, told by a message, confirms it on its moves page and still finds the
person in 人员档案 (已调出) with the year it reviewed."""

from datetime import date

import pytest
from playwright.sync_api import expect

from portal.accounts import people
from portal.accounts.models import Role
from portal.declarations.models import ReviewingBody
from portal.extensions import db
from portal.units.models import UnitType

pytestmark = pytest.mark.browser


def test_move_entered_by_the_new_unit_waits_for_the_old_unit_which_keeps_its_year(
    live_server,
    browser_page,
    browser_login,
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
):
    page = browser_page
    school = make_unit(name="示范县第一中学", type=UnitType.INSTITUTION)
    hospital = make_unit(name="示范县人民医院", type=UnitType.INSTITUTION)
    officer = make_user(Role.BUREAU_OFFICER)
    person = make_professional(unit=None, name="王晓梅")
    people.move(officer, person, school, date(2015, 9, 1))
    make_registered_declaration(person, 2024, unit=school, reviewing_body=ReviewingBody.UNIT)
    db.session.commit()
    old_reviewer = make_user(Role.UNIT_REVIEWER, unit=school, username="school1")
    new_reviewer = make_user(Role.UNIT_REVIEWER, unit=hospital, username="hospital1")

    browser_login(page, live_server, new_reviewer.username)
    page.get_by_role("link", name="单位变更").click()
    page.fill("input[name=id_number]", person.id_number)
    page.fill("input[name=started_on]", "2025-03-01")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("main")).to_contain_text("等待本人、原单位或县人社局确认")
    assert page.locator("#moves-pending tr", has_text="王晓梅").count() == 0  # not its own
    page.shot("entered")
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{live_server}/login")

    browser_login(page, live_server, old_reviewer.username)
    page.goto(f"{live_server}/notifications/")
    expect(page.locator("main")).to_contain_text("单位变更待确认")
    page.goto(f"{live_server}/people/moves")
    row = page.locator("#moves-pending tr", has_text="王晓梅")
    assert "示范县人民医院" in row.inner_text()
    page.shot("to-confirm")
    row.get_by_role("button", name="确认").click()
    expect(page.locator("main")).to_contain_text("已确认王晓梅的单位变更")
    page.get_by_role("link", name="人员档案").first.click()
    listed = page.locator("#people-table tr", has_text="王晓梅")
    expect(listed).to_contain_text("已调出")
    listed.get_by_role("link", name="王晓梅").click()
    expect(page.locator("main")).to_contain_text("仅显示向本单位申报的年度")
    assert "2024" in page.locator("#years").inner_text()
    assert page.locator("#employment").count() == 0
    page.shot("old-unit")
    assert not page.js_errors, page.js_errors
