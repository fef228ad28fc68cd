"""The statistics page's charts drawn by ECharts in chromium (CSP on, no inline script)."""

import pytest

from portal.accounts.models import Role
from tests.stats.test_stats import county  # noqa: F401  (the hand-counted county fixture)

pytestmark = pytest.mark.browser


def test_charts_render(live_server, browser_page, browser_login, county):  # noqa: F811
    page = browser_page
    browser_login(page, live_server, county["officer"].username)
    page.click("nav.nav >> text=统计")
    page.wait_for_selector("#chart-units[data-ready='1'] canvas")
    page.wait_for_selector("#chart-kinds[data-ready='1'] canvas")
    page.wait_for_selector("#chart-forms[data-ready='1'] canvas")
    assert page.locator("#fig-people").count() == 1
    page.select_option("#year", "2025")
    page.click(".stats-filters button[type=submit]")
    page.wait_for_selector("#fig-rate:has-text('37.5%')")
    page.wait_for_selector("#chart-units[data-ready='1'] canvas")
    page.wait_for_selector("#chart-series[data-ready='1'] canvas")
    page.wait_for_timeout(800)  # the charts' entry animation
    page.shot("stats-2025")
    # Grouped by the title of the year: the table of series ends with 未填写职称.
    series_rows = page.locator("#table-by_series tbody tr")
    assert series_rows.count() == 5
    assert series_rows.last.locator("td").first.inner_text() == "未填写职称"
    assert page.locator("#table-by_series tfoot th").nth(1).inner_text() == "8"
    # Filter by a series and a level on the one filter row.
    page.select_option("#series", label="教师")
    page.select_option("#level", label="初级")
    page.click(".stats-filters button[type=submit]")
    page.wait_for_selector("#fig-people:has-text('2')")
    page.wait_for_selector("#chart-series[data-ready='1'] canvas")
    page.locator("#table-by_level").scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.shot("stats-2025-teacher-junior")
    assert not page.js_errors, page.js_errors


def test_units_page_by_page(live_server, browser_page, browser_login, ctx, make_unit, make_user,
                            make_professional):  # fmt: skip
    """More units than a page holds: the next page of the table comes by htmx, the charts stay."""
    for i in range(1, 56):
        make_professional(unit=make_unit(name=f"单位{i:02d}"), account=False)
    officer = make_user(Role.BUREAU_OFFICER)
    page = browser_page
    browser_login(page, live_server, officer.username)
    page.click("nav.nav >> text=统计")
    page.wait_for_selector("#chart-units[data-ready='1'] canvas")
    assert page.locator("#table-by_unit tbody tr").count() == 50
    page.locator("#stats-units").scroll_into_view_if_needed()
    page.shot("stats-units-page-1", full_page=False)
    page.click("#stats-units .pager >> text=下一页")
    page.wait_for_selector("#stats-units .pager >> text=上一页")
    assert page.locator("#table-by_unit tbody tr").count() == 5
    assert (
        page.locator("#table-by_unit tbody tr").first.locator("td").first.inner_text() == "单位51"
    )
    assert "page=2" in page.url
    assert page.locator("#chart-units[data-ready='1'] canvas").count() == 1
    page.locator("#stats-units").scroll_into_view_if_needed()
    page.shot("stats-units-page-2", full_page=False)
    assert not page.js_errors, page.js_errors
