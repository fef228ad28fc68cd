"""In a real browser: every kind of both rule sets declared through its generated form, the
live preview, the totals changing, evidence uploads and the submission."""

import re

import pytest

from portal import rules
from tests.declarations.conftest import PDF_BYTES, YEAR
from tests.declarations.test_forms import form_data, valid_facts

pytestmark = pytest.mark.browser


@pytest.fixture
def person(make_professional, make_unit):
    return make_professional(unit=make_unit())


def fill(page, data: dict) -> None:
    for name, value in data.items():
        field = page.locator(f"form.claim-form [name='{name}']")
        tag = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if tag.startswith("select"):
            field.select_option(value)
        elif tag == "input:checkbox":
            field.check()
        else:
            field.fill(value)


def add_every_kind(page, base, year, rule_set_id) -> list[tuple[str, int]]:
    rule_set = rules.get_rule_set(rule_set_id)
    expected = []
    for kind in rule_set.kinds.values():
        facts = valid_facts(kind)
        data = form_data(kind, facts)
        data["date"] = f"{year}-01-01"
        if "year" in facts:
            data["year"] = str(year)
            facts["year"] = year
        page.goto(f"{base}/declarations/{year}/claims/new?kind={kind.id}")
        fill(page, data)
        hours = rules.evaluate_claim(
            rule_set, rules.Claim(kind.id, facts, kind.subject or "professional"), year=year
        ).hours
        page.wait_for_function(
            "h => document.querySelector('#claim-preview').innerText.includes(h + ' 学时')",
            arg=str(hours),
        )
        page.click("form.claim-form button[type=submit]")
        page.wait_for_url(re.compile(rf"/declarations/{year}(#.*)?$"))
        expected.append((kind.label, hours))
    return expected


def test_every_kind_in_the_browser_then_submit(
    live_server,
    browser_page,
    browser_login,
    person,
    tmp_path,
):
    page, base = browser_page, live_server
    browser_login(page, base, person.user.username)
    page.goto(f"{base}/declarations/")
    page.shot("index")

    # Last year under the transition rule set hefei-2021, every kind
    page.select_option(f"#rule-set-{YEAR - 1}", "hefei-2021")
    page.click(f"text=填写{YEAR - 1}年度申报")
    page.wait_for_url(f"{base}/declarations/{YEAR - 1}")
    expected = add_every_kind(page, base, YEAR - 1, "hefei-2021")
    cards = page.locator("article.claim")
    assert cards.count() == len(expected)
    page.shot("hefei-all-kinds")

    # This year under anhui-2025, every kind; highest-only leaves one conversion claim counted
    page.goto(f"{base}/declarations/")
    page.click(f"text=填写{YEAR}年度申报")
    page.wait_for_url(f"{base}/declarations/{YEAR}")
    totals_before = page.inner_text("#totals")
    expected = add_every_kind(page, base, YEAR, "anhui-2025")
    assert page.inner_text("#totals") != totals_before
    assert page.locator("article.claim").count() == len(expected)
    assert page.locator("article.claim .badge:has-text('就高认定')").count() == 1
    text = page.inner_text("#declaration-body")
    for label, _hours in expected:
        assert label in text
    page.shot("anhui-all-kinds")

    # Evidence for every claim, then submit through the confirmation page
    proof = tmp_path / "结业证书.pdf"
    proof.write_bytes(PDF_BYTES)
    remaining = page.locator(".no-evidence").count()
    assert remaining == len(expected)
    while remaining:
        form = page.locator("article.claim:has(.no-evidence) form.upload-form").first
        form.locator("input[type=file][multiple]").set_input_files(str(proof))
        form.locator("button").click()
        page.wait_for_function(
            "n => document.querySelectorAll('.no-evidence').length < n", arg=remaining
        )
        remaining = page.locator(".no-evidence").count()
    assert page.locator(".no-evidence").count() == 0
    page.click("text=提交申报…")
    page.wait_for_url(f"{base}/declarations/{YEAR}/submit")
    assert "申报提交后不予修改、撤销" in page.inner_text("main")
    page.shot("confirm")
    page.click("button:has-text('确认提交')")
    page.wait_for_url(f"{base}/declarations/{YEAR}")
    assert "待核验" in page.inner_text("h1")
    assert page.locator("form.upload-form").count() == 0
    assert page.locator("text=添加申报条目").count() == 0
    page.shot("submitted")
    assert not page.js_errors, page.js_errors


def test_live_preview_and_totals(
    live_server,
    browser_page,
    browser_login,
    person,
):
    page, base = browser_page, live_server
    browser_login(page, base, person.user.username)
    page.goto(f"{base}/declarations/")
    page.click(f"text=填写{YEAR}年度申报")
    page.wait_for_url(f"{base}/declarations/{YEAR}")
    page.click("text=添加申报条目")
    page.click("a.kind-link:has-text('省部级科技奖励')")
    page.select_option("#grade", "second")
    page.fill("#rank", "2")
    page.wait_for_function(
        "() => document.querySelector('#claim-preview').innerText.includes('37 学时')"
    )
    page.fill("#rank", "0")
    page.wait_for_function(
        "() => document.querySelector('#live-error-rank').innerText.includes('不能小于1')"
    )
    page.shot("live-error")
    page.fill("#rank", "1")
    page.fill("#title", "某技术研究")
    page.fill("#date", f"{YEAR}-01-01")
    page.fill("#certificate_no", "KJ-2026-1")
    page.click("form.claim-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/declarations/{YEAR}(#.*)?$"))
    assert "40 / 60 学时" in page.inner_text("#totals")
    # move it to the general subject without reloading: the totals follow
    page.locator("form.subject-form select").select_option("general")
    page.wait_for_function(
        "() => document.querySelector('#totals').innerText.includes('0 / 60 学时')"
    )
    page.shot("moved-to-general")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("article.claim button.danger").click()
    page.wait_for_function("() => document.querySelectorAll('article.claim').length === 0")
    assert "0 / 90 学时" in page.inner_text("#totals")
    assert not page.js_errors, page.js_errors
