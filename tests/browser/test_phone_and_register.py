"""A phone-width header in a real browser."""

import pytest

from portal.accounts.models import Role

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def _one_line(locator) -> None:
    """The control is a single line of text: its height is about one line-height."""
    box = locator.bounding_box()
    line = locator.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert box["height"] < 1.6 * line, (box, line)
    assert box["width"] > box["height"], box  # not one character per line


def test_header_login_and_logout_stay_on_one_line_at_375px(
    live_server, browser_page, browser_login, make_user
):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/")
    _one_line(page.locator(".account a", has_text="登录"))
    page.shot("phone-logged-out", full_page=False)

    user = make_user(Role.UNIT_REVIEWER, username="reviewer1", name="欧阳晓梅")
    browser_login(page, live_server, user.username)
    logout = page.locator(".account button", has_text="退出")
    _one_line(logout)
    _one_line(page.locator(".account a.who"))
    # The header fits the screen: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.shot("phone-logged-in", full_page=False)
    assert not page.js_errors, page.js_errors
