"""Issue 15: the declaration page with the keyboard alone (WCAG 2.1.1, 2.4.1, 2.4.3, 3.3.1)."""

import pytest

from tests.browser.phone import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.presentation]

ACTIVE_ID = "() => document.activeElement && document.activeElement.id"


def _tab_to(page, element_id: str, limit: int = 120) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE_ID) == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_declaration_page_with_the_keyboard(live_server, browser_page, browser_login, demo_world):
    from portal.admin.demo import DEMO_PASSWORD

    page = browser_page
    page.set_viewport_size(PHONE)
    browser_login(page, live_server, demo_world["teacher"], DEMO_PASSWORD)
    year, (training, paper) = demo_world["year"], demo_world["claims"]
    page.goto(f"{live_server}/declarations/{year}")

    # 1. The first Tab shows the skip link; Enter moves focus to the main content.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert skip.inner_text() == "跳到主要内容"
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] >= 40, box  # on screen while focused
    page.shot("keyboard-skip-link", full_page=False)
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE_ID) == "main"

    # 2. The subject select swaps the declaration body (htmx): focus stays on the select.
    select_id = f"subject-{paper}"
    _tab_to(page, select_id)
    before = page.locator(f"#{select_id}").input_value()
    index = page.evaluate(f"() => document.getElementById('{select_id}').selectedIndex")
    with page.expect_response(lambda r: f"/claims/{paper}/subject" in r.url):
        page.keyboard.press("ArrowDown" if index == 0 else "ArrowUp")
    page.wait_for_function(
        f"() => document.getElementById('{select_id}').value !== '{before}'"
        f" && document.activeElement && document.activeElement.id === '{select_id}'"
    )
    assert page.locator(f"#group-general ~ #claim-{paper}, #claim-{paper}").count() == 1
    page.shot("keyboard-after-subject-swap", full_page=False)

    # 3. A refused upload (an iPhone HEIC): the page comes back with focus on the file field,
    #    which is marked invalid and described by the error.
    page.set_input_files(
        f"#file-{training}",
        files=[
            {
                "name": "IMG_0004.HEIC",
                "mimeType": "image/heic",
                "buffer": b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64,
            }
        ],
    )
    page.locator(f"#claim-{training} .upload-form button[type=submit]").focus()
    with page.expect_response(lambda r: r.url.endswith("/evidence") and r.status == 422):
        page.keyboard.press("Enter")  # a boosted form: htmx swaps the page in
    page.wait_for_function(f"() => document.activeElement.id === 'file-{training}'")
    field = page.locator(f"#file-{training}")
    page.wait_for_function(  # and in view: htmx's scroll to the top does not hide it
        f"() => {{ const r = document.getElementById('file-{training}').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    assert f"file-{training}-error" in described
    assert "兼容性最佳" in page.locator(f"#file-{training}-error").inner_text()
    page.shot("keyboard-failed-upload", full_page=False)

    # 4. Deleting a claim (htmx, with a confirmation): focus is not dropped on <body>.
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"#claim-{paper} .claim-actions button.danger").focus()
    with page.expect_response(lambda r: "/delete" in r.url):
        page.keyboard.press("Enter")
    page.wait_for_function(f"() => !document.getElementById('claim-{paper}')")
    page.wait_for_function("() => document.activeElement !== document.body")
    assert page.evaluate(ACTIVE_ID) == "declaration-body"
    assert not [e for e in page.js_errors if not e.startswith("422 ")], page.js_errors


def test_failed_claim_form_focuses_the_first_invalid_field(
    live_server, browser_page, browser_login, demo_world
):
    from portal.admin.demo import DEMO_PASSWORD

    page = browser_page
    browser_login(page, live_server, demo_world["teacher"], DEMO_PASSWORD)
    year, (training, _) = demo_world["year"], demo_world["claims"]
    page.goto(f"{live_server}/declarations/{year}/claims/{training}")
    page.fill("input[name=days]", "")
    page.fill("input[name=title]", "")
    # The live check (htmx) ties its message to the field as it is typed.
    page.wait_for_function("() => document.getElementById('live-error-days').textContent.trim()")
    days = page.locator("#days")
    assert "live-error-days" in days.get_attribute("aria-describedby").split()
    assert days.get_attribute("aria-invalid") == "true"
    page.locator("input[name=title]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE_ID) == "days"  # the first invalid field, not the last one typed
    assert days.get_attribute("aria-invalid") == "true"
    errors = days.get_attribute("aria-describedby").split()
    assert "days-error-1" in errors
    assert page.locator("#title").get_attribute("aria-describedby") == "title-error-1"
    assert not [e for e in page.js_errors if not e.startswith("422 ")], page.js_errors


def test_a_table_wider_than_its_box_can_be_scrolled_with_the_keyboard(
    live_server, browser_page, browser_login, demo_world
):
    from portal.admin.demo import DEMO_PASSWORD

    page = browser_page
    page.set_viewport_size({"width": 768, "height": 900})
    browser_login(page, live_server, "auditor", DEMO_PASSWORD)
    page.goto(f"{live_server}/audit/")
    wrap = page.locator(".table-wrap.scrolls").first
    assert wrap.get_attribute("tabindex") == "0"
    assert wrap.get_attribute("role") == "region"
    assert "可左右滚动" in wrap.get_attribute("aria-label")
    wrap.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-wrap.scrolls').scrollLeft > 0")
