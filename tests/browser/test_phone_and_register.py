"""A phone-width header, and the unit search box of the register page, in a real browser."""

import pytest

from portal.accounts.models import Role

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def _one_line(locator) -> None:
    """The control's text is a single line: the text's box is about one line-height high (the
    control itself may be taller: a 44 px tap target)."""
    box = locator.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " const b = r.getBoundingClientRect(); return {width: b.width, height: b.height}; }"
    )
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


def test_register_unit_search_box_filters_the_options(live_server, browser_page, make_unit):
    page = browser_page
    for n in range(1, 13):
        make_unit(name=f"示范县第{n}中学")
    make_unit(name="示范县人民医院")
    page.goto(f"{live_server}/register")
    box = page.get_by_placeholder("输入单位名称筛选")
    assert box.get_attribute("aria-label") == "输入单位名称筛选"
    options = page.locator("select#unit option")
    assert options.count() == 15  # 请选择, 13 units, 自由职业

    box.fill("医院")
    assert page.locator("select#unit option").all_inner_texts() == ["请选择", "示范县人民医院"]
    assert "找到 1 项" in page.locator(".select-filter-count").inner_text()
    page.select_option("select#unit", label="示范县人民医院")
    box.fill("第1")  # the chosen unit stays, whatever is typed
    texts = page.locator("select#unit option").all_inner_texts()
    assert texts[0] == "请选择" and texts[1:] == sorted(texts[1:])  # the list's own order
    assert set(texts[1:]) == {"示范县人民医院"} | {f"示范县第{n}中学" for n in (1, 10, 11, 12)}
    assert page.locator("select#unit").input_value() != ""
    box.fill("")
    assert page.locator("select#unit option").count() == 15
    page.shot("register-filter")
    assert not page.js_errors, page.js_errors
