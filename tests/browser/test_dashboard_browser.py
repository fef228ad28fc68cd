"""The unit's dashboard at size, as the county's big unit's HR clerk (`unit-big`) uses it: the
counts per state on top, the people 50 a page, paging and filtering swapped in by htmx, a count
that opens its filtered list."""

import re

import pytest
from playwright.sync_api import expect

from portal.admin import county, demo
from portal.extensions import db


@pytest.fixture
def big_unit(app):
    with app.test_request_context():
        demo.load()
        summary = county.load(1500)  # unit-big: 250 people, 150 of them waiting
        db.session.commit()
    return summary


def rows(page):
    return page.locator("#people-table tbody tr")


def test_clerk_pages_and_filters_the_unit(live_server, browser_page, browser_login, big_unit):
    page = browser_page
    browser_login(page, live_server, "unit-big", "Demo@2025")
    page.goto(f"{live_server}/dashboard/")
    expect(page.locator("h1")).to_contain_text("示范县县域第一人民医院")
    total = int(page.locator("#figures div").first.locator("dd").inner_text())
    waiting = int(page.locator("#fig-waiting").inner_text())
    assert total == 250 and waiting == 150
    assert rows(page).count() == 50
    first_name = rows(page).first.locator("td").first.inner_text()
    page.shot("first-page")

    # the next page comes in place of the list, the address keeps it
    page.locator("#people .pager a", has_text="下一页").click()
    expect(page.locator("#people .pager")).to_contain_text("第 2 页")
    assert "page=2" in page.url
    assert rows(page).first.locator("td").first.inner_text() != first_name
    assert rows(page).count() == 50

    # filter by state: the list of the waiting alone, from its first page
    page.select_option("#state", "waiting")
    expect(page.locator("#people h2")).to_contain_text("待核验（150 人）")
    expect(page.locator("#people .pager")).to_contain_text("第 1 页")
    badges = rows(page).locator("td:nth-child(2)").all_inner_texts()
    assert len(badges) == 50 and set(badges) == {"待核验"}
    assert "state=waiting" in page.url

    # and search by name within it
    name = rows(page).nth(3).locator("td").first.inner_text()
    page.fill("#q", name[:2])
    expect(page.locator("#people h2")).to_contain_text(f"姓名含“{name[:2]}”")
    names = rows(page).locator("td:first-child").all_inner_texts()
    assert names and all(name[:2] in n for n in names)
    assert set(rows(page).locator("td:nth-child(2)").all_inner_texts()) == {"待核验"}
    page.shot("waiting-searched")

    # a count above the list opens its list (a whole page: the form shows the filter)
    page.fill("#q", "")
    short = int(page.locator("#fig-short").inner_text())
    assert short > 0  # a quarter of the county's reviewed years fall short of 90
    page.locator("#fig-short a").click()
    page.wait_for_load_state()
    expect(page.locator("#state")).to_have_value("short")
    expect(page.locator("#people h2")).to_contain_text(f"未达标（{short} 人）")
    assert re.search(r"state=short", page.url)
    gaps = rows(page).locator("td:last-child").all_inner_texts()
    assert len(gaps) == min(short, 50) and all(g.startswith("总学时差") for g in gaps)
    page.shot("short")
    assert page.js_errors == []
