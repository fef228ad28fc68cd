"""The portal in a real browser: the home page, the login page, an admin's navigation."""

import pytest

from portal.accounts.models import Role

pytestmark = pytest.mark.browser


def test_home_login_and_navigation(live_server, browser_page, browser_login, make_user):
    page = browser_page
    admin = make_user(Role.ADMIN, username="admin1", name="管理员甲")

    response = page.goto(f"{live_server}/")
    assert response.status < 400
    assert "继续教育学时登记管理系统" in page.title()
    page.shot("home")

    page.goto(f"{live_server}/login")
    assert page.locator("h1").inner_text() == "登录"
    assert page.locator("input[name=csrf_token]").count() == 1  # CSRF on, as in production
    page.shot("login")

    browser_login(page, live_server, admin.username)
    assert page.url.rstrip("/") != f"{live_server}/login"
    header = page.locator("header.site-header")
    assert "管理员甲" in header.inner_text()
    nav = page.locator("nav.nav")
    assert nav.locator("a").count() >= 1
    page.shot("admin-nav")
    assert not page.js_errors, page.js_errors
