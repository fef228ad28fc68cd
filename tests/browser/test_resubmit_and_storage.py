"""In a real browser: a claim whose answer was lost on the way back, sent again, is saved once;
the officer's storage banner; a write refused on a full disk, said in Chinese."""

import re
import shutil
import sqlite3
from collections import namedtuple

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultDialect

from portal.accounts.models import Role
from portal.declarations.models import Claim
from portal.extensions import db
from tests.declarations.conftest import (
    YEAR,
    make_declaration,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.browser

TRAINING = {"days": "3", "title": "中小学教师专业能力提升培训", "date": f"{YEAR}-01-01"}


@pytest.fixture
def person(make_professional, make_unit):
    return make_professional(unit=make_unit())


def fill_training(page, base):
    page.goto(f"{base}/declarations/{YEAR}/claims/new?kind=training")
    for name, value in TRAINING.items():
        page.fill(f"form.claim-form [name='{name}']", value)
    issuer = page.locator("form.claim-form [name='issuer']")
    if issuer.count():
        issuer.fill("示范县教育局")
    page.wait_for_function("document.querySelector('#claim-preview').innerText.includes('学时')")


def test_a_claim_whose_answer_was_lost_is_saved_once(
    live_server,
    browser_page,
    browser_login,
    person,
    make_declaration,  # noqa: F811 (the fixture imported above)
    app,
):
    page, base = browser_page, live_server
    make_declaration(person)
    browser_login(page, base, person.user.username)
    fill_training(page, base)
    lost = []

    def lose_the_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch(max_redirects=0).status)  # the server saves the claim…
            route.abort("connectionreset")  # …and its answer never arrives
            return
        route.continue_()

    page.route(re.compile(r".*/claims/new\?kind=training$"), lose_the_first_answer)
    page.click("form.claim-form button[type=submit]")
    page.wait_for_load_state()
    assert lost == [303] and page.locator("form.claim-form").count() == 0  # an error page
    page.shot("answer-lost")
    page.reload()  # the user retries: the browser sends the same form again
    page.wait_for_url(re.compile(rf"/declarations/{YEAR}(#claim-\d+)?$"))
    assert "此表单此前已提交成功，未重复保存" in page.inner_text("main")
    page.shot("sent-again")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 1


Usage = namedtuple("Usage", "total used free")


def test_storage_banner_and_a_refused_write(
    live_server,
    browser_page,
    browser_login,
    person,
    make_declaration,  # noqa: F811 (the fixture imported above)
    make_user,
    app,
    monkeypatch,
):
    page, base = browser_page, live_server
    app.config["STORAGE_CHECK_SECONDS"] = 0
    make_declaration(person)
    officer = make_user(Role.BUREAU_OFFICER)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(2**40, 2**40 - 2**26, 2**26))
    browser_login(page, base, officer.username)
    banner = page.locator(".storage-banner")
    assert "仅剩 64 MB（告警阈值 500 MB）" in banner.inner_text()
    page.shot("officer-banner", full_page=False)
    page.click("form[action$='/logout'] button")
    page.wait_for_url(re.compile(r"/login$"))

    browser_login(page, base, person.user.username)
    assert page.locator(".storage-banner").count() == 0  # the professional is not told
    fill_training(page, base)

    def full(original):
        def execute(self, cursor, statement, *args, **kwargs):
            if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                raise sqlite3.OperationalError("database or disk is full")
            return original(self, cursor, statement, *args, **kwargs)

        return execute

    monkeypatch.setattr(DefaultDialect, "do_execute", full(DefaultDialect.do_execute))
    page.click("form.claim-form button[type=submit]")
    page.wait_for_load_state()
    assert "系统存储空间不足或只读，暂时无法保存，请联系管理员" in page.inner_text("main")
    page.shot("write-refused", full_page=False)
    page.js_errors.clear()  # the 503 is the answer this test asks for
    page.goto(f"{base}/board")  # the public board still reads
    assert "公示" in page.inner_text("main")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
