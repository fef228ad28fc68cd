"""Cycle verification clicked through in chromium: the bureau opens a senior application's
verification, computes and issues it; the city confirms it; the public check page shows it."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.accounts.models import PersonTitle, Role
from portal.extensions import db
from portal.units.models import Authority, TitleLevel, TitleSeries, UnitType
from portal.verification.models import Verification

pytestmark = pytest.mark.browser


def test_issue_confirm_and_check(
    app,
    live_server,
    browser_page,
    browser_login,
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
):
    page = browser_page
    series = TitleSeries(name="教师", authority=Authority(name="县教体局"))
    person = make_professional(unit=make_unit(type=UnitType.INSTITUTION), name="王晓梅")
    person.titles.append(
        PersonTitle(series=series, level=TitleLevel.INTERMEDIATE, appointed=date(2021, 1, 1))
    )
    for year in range(2021, 2026):
        rule_set = "anhui-2025" if year >= 2025 else "hefei-2021"
        make_registered_declaration(person, year, 30, 60, rule_set=rule_set)
    officer = make_user(Role.BUREAU_OFFICER, name="方卫国")
    city = make_user(Role.CITY_OFFICER, name="孙立新")
    db.session.commit()

    browser_login(page, live_server, officer.username)
    page.goto(f"{live_server}/verification/")
    page.fill("#id_number", person.id_number)
    page.click("text=查找人员")
    page.wait_for_url("**/verification/people/*/new")
    # htmx pushes the address before it swaps the page in: wait until it has settled
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    page.select_option("#level", "deputy_senior")
    page.fill("#application_year", "2026")
    page.fill("#first_year", "2021")
    page.fill("#last_year", "2025")
    for selector, value in (("#application_year", "2026"), ("#first_year", "2021"),
                            ("#last_year", "2025")):  # fmt: skip
        expect(page.locator(selector)).to_have_value(value)
    # The page opened with the default years (to this year, not passing) already computed:
    # wait for the new computation to be swapped in, not for a button that is there already.
    page.click("text=计算")
    page.wait_for_url(re.compile(r".*last_year=2025"))
    expect(page.locator(".verification-sheet")).not_to_contain_text("未通过")
    expect(page.locator(".verification-sheet")).to_contain_text("通过")
    page.click("button:has-text('出具验证单')")
    page.wait_for_url(re.compile(r".*/verification/\d+$"))
    assert "待市人社局复核" in page.inner_text("main")
    page.shot("issued")
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login**")

    browser_login(page, live_server, city.username)
    page.goto(f"{live_server}/verification/")
    page.click("main table a:has-text('YZ')")
    page.click("button:has-text('复核通过')")
    page.wait_for_selector("text=市人社局复核通过")
    page.shot("confirmed")

    code = db.session.scalar(sa.select(Verification.code))
    page.goto(f"{live_server}/verification/check/{code}")
    text = page.inner_text("main")
    assert "验证单真实有效" in text and "市人社局复核通过" in text
    assert "王晓梅" not in text and person.id_number not in text
    assert page.js_errors == []
