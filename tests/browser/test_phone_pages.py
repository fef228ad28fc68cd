"""Issue 15: every page a professional uses, at 375 px (and 320 px) in a real browser.

Each page: no sideways scrolling, no control squeezed to one character per line, tap targets at
least 44 px high (tests/browser/phone.py). Screenshots: tests/artifacts/*-phone-*.png.
"""

import pytest

from tests.browser.phone import PHONE, assert_phone_friendly

pytestmark = [pytest.mark.browser, pytest.mark.presentation]


def _check(page, base, path, name, problems, action=None):
    page.set_viewport_size(PHONE)
    response = page.goto(base + path)
    assert response.status < 400, (path, response.status)
    if action:
        action(page)
    try:
        assert_phone_friendly(page, name)
    except AssertionError as error:
        problems.append(str(error))
    page.shot(f"phone-{name}")


def test_public_pages_at_375px(live_server, browser_page, demo_world):
    page, problems = browser_page, []

    def failed_login(p):
        p.fill("input[name=username]", "nobody")
        p.click("form button[type=submit]")
        p.wait_for_load_state()

    def failed_register(p):
        p.fill("input[name=id_number]", "123")
        p.click("form button[type=submit]")
        p.wait_for_load_state()

    _check(page, live_server, "/login", "login", problems)
    _check(page, live_server, "/login", "login-failed", problems, failed_login)
    _check(page, live_server, "/register", "register", problems)
    _check(page, live_server, "/register", "register-failed", problems, failed_register)
    _check(page, live_server, "/verify", "verify-form", problems)
    _check(page, live_server, f"/verify/{demo_world['code']}", "verify-result", problems)
    _check(page, live_server, "/board?archived=y", "board", problems)
    assert not problems, problems
    assert not [e for e in page.js_errors if not e.startswith("422 ")], page.js_errors


def test_professional_pages_at_375px(live_server, browser_page, browser_login, demo_world):
    from portal.admin.demo import DEMO_PASSWORD

    page, problems = browser_page, []
    page.set_viewport_size(PHONE)
    browser_login(page, live_server, demo_world["teacher"], DEMO_PASSWORD)
    year = demo_world["year"]
    training, paper = demo_world["claims"]

    def failed_claim(p):
        p.fill("input[name=days]", "")
        p.fill("input[name=title]", "")
        p.click("form.claim-form button[type=submit]")
        p.wait_for_load_state()

    _check(page, live_server, "/", "home", problems)
    _check(page, live_server, "/declarations/", "declarations", problems)
    _check(page, live_server, f"/declarations/{year}", "declaration-draft", problems)
    _check(page, live_server, "/declarations/2024", "declaration-registered", problems)
    _check(page, live_server, f"/declarations/{year}/claims/new", "kinds", problems)
    _check(
        page, live_server, f"/declarations/{year}/claims/new?kind=training", "claim-form", problems
    )
    _check(
        page,
        live_server,
        f"/declarations/{year}/claims/{training}",
        "claim-failed",
        problems,
        failed_claim,
    )
    _check(page, live_server, f"/declarations/{year}/submit", "submit", problems)
    _check(page, live_server, "/certificates", "certificates", problems)
    _check(page, live_server, "/password", "password", problems)
    _check(page, live_server, "/board?archived=y", "board-logged-in", problems)
    assert not problems, problems
    assert not [e for e in page.js_errors if not e.startswith("422 ")], page.js_errors


def test_history_table_is_a_stack_of_cards_on_a_phone(
    live_server, browser_page, browser_login, demo_world
):
    """The rule-set name is a whole line, not one character per line; the action is in reach."""
    from portal.admin.demo import DEMO_PASSWORD

    page = browser_page
    page.set_viewport_size(PHONE)
    browser_login(page, live_server, demo_world["teacher"], DEMO_PASSWORD)
    page.goto(f"{live_server}/declarations/")
    name = page.locator("td.rule-set-name").first
    box = name.bounding_box()
    assert box["width"] > 150, box
    action = page.locator("td.row-actions a").first
    action_box = action.bounding_box()
    assert action_box["x"] + action_box["width"] <= PHONE["width"]
    assert action_box["height"] >= 44
    assert (
        page.locator("td[data-label='认定规则']").first.evaluate(
            "e => getComputedStyle(e, '::before').content"
        )
        == '"认定规则"'
    )
