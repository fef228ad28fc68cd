"""In a real browser: every kind of both rule sets declared through its generated form, the
live preview, the totals changing, evidence uploads and the submission."""

import re

import pytest

from portal import rules
from tests.declarations.conftest import (
    PDF_BYTES,
    YEAR,
    make_declaration,  # noqa: F401 (a fixture)
)
from tests.declarations.test_forms import form_data, valid_facts

pytestmark = pytest.mark.browser


@pytest.fixture
def person(make_professional, make_unit):
    # 老人老办法 (seed 003): may elect hefei-2021 during the transition, as the tests do.
    return make_professional(unit=make_unit(), keeps_old_rules=True)


def fill(page, data: dict) -> None:
    for name, value in data.items():
        field = page.locator(f"form.claim-form [name='{name}']")
        if field.count() > 1:  # a yes/no radio choice
            choice = "true" if value in ("y", "true") else "false"
            page.locator(f"form.claim-form [name='{name}'][value='{choice}']").check()
            continue
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


def test_election_of_the_highest_only_item(
    live_server,
    browser_page,
    browser_login,
    person,
    make_declaration,  # noqa: F811 (the fixture imported above)
):
    """第二十一条4 on the claim cards: the system's choice, the person's, and back."""
    make_declaration(
        person=person,
        claims=[
            {"kind": "training", "facts": {"days": 3}, "subject": "professional"},
            {"kind": "patent.invention", "facts": {"rank": 1}, "subject": "professional"},
            {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"},
        ],
    )
    page, base = browser_page, live_server
    browser_login(page, base, person.user.username)
    page.goto(f"{base}/declarations/{YEAR}")
    panel = page.locator("#election")
    assert "每个年度认定仅能选择一项" in panel.inner_text()
    assert "系统按最有利原则选择" in panel.inner_text()
    assert "50 / 60 学时" in page.inner_text("#totals")
    radios = page.locator("article.claim input[type=radio][name=claim]")
    assert radios.count() == 2  # the courseware is outside highest-only
    page.shot("election-by-system")

    # elect the training: htmx swaps the body, the totals follow
    training_card = page.locator("article.claim", has_text="培训、研修或进修")
    training_card.locator("input[type=radio]").check()
    page.wait_for_function(
        "() => document.querySelector('#totals').innerText.includes('18 / 60 学时')"
    )
    assert "按您的选择" in page.inner_text("#election")
    training_card = page.locator("article.claim", has_text="培训、研修或进修")
    assert training_card.locator("input[type=radio]").is_checked()
    assert "按您的选择计入" in training_card.inner_text()
    patent_card = page.locator("article.claim", has_text="发明专利")
    assert "不计入" in patent_card.inner_text()
    page.shot("election-by-person")

    # the choice survives a reload, and can be given back to the system
    page.reload()
    assert (
        page.locator("article.claim", has_text="培训、研修或进修")
        .locator("input[type=radio]")
        .is_checked()
    )
    page.click("button:has-text('取消选择，由系统按最有利原则选择')")
    page.wait_for_function(
        "() => document.querySelector('#totals').innerText.includes('50 / 60 学时')"
    )
    assert "您尚未选择" in page.inner_text("#election")
    assert not page.js_errors, page.js_errors
