"""portal.pagecache: public pages for visitors without a cookie answered without Flask or SQL,
and nothing personal ever kept (issue 13)."""

from datetime import timedelta

import pytest

from portal import pagecache
from tests.perf.test_query_counts import captured


def _get(app, client, url, method="GET", **kwargs):
    with captured(app) as statements:
        response = client.open(url, method=method, **kwargs)
    return response, len(statements)


@pytest.fixture
def visitor(app):
    """A client that never keeps a cookie (a fresh browser, a proxy, wrk)."""
    return app.test_client(use_cookies=False)


def test_the_second_visit_to_the_board_never_reaches_flask_and_gets_the_same_bytes(app, visitor):
    entered = []
    app.before_request_funcs.setdefault(None, []).append(lambda: entered.append(1) and None)
    first, ran = _get(app, visitor, "/board")
    again, ran_again = _get(app, visitor, "/board")
    assert first.status_code == again.status_code == 200
    assert ran > 0 and ran_again == 0
    assert len(entered) == 1  # the second answer came from the WSGI layer
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in again.headers


def test_each_url_and_the_htmx_partial_are_kept_apart(app, visitor):
    page = visitor.get("/board").data
    partial = visitor.get("/board", headers={"HX-Request": "true"}).data
    searched = visitor.get("/board?q=%E7%8E%8B").data
    assert partial != page and "<html" not in partial.decode()
    assert visitor.get("/board", headers={"HX-Request": "true"}).data == partial
    assert visitor.get("/board").data == page
    assert visitor.get("/board?q=%E7%8E%8B").data == searched


def test_a_matching_etag_gets_304_from_the_cache(app, visitor):
    etag = visitor.get("/board").headers["ETag"]
    response, ran = _get(app, visitor, "/board", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b"" and ran == 0
    assert response.headers["ETag"] == etag
    other, _ = _get(app, visitor, "/board", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.data


def test_head_is_answered_from_a_kept_get(app, visitor):
    body = visitor.get("/board").data
    response, ran = _get(app, visitor, "/board", method="HEAD")
    assert response.status_code == 200 and response.data == b"" and ran == 0
    assert int(response.headers["Content-Length"]) == len(body)


def test_a_visitor_with_a_cookie_or_logged_in_is_never_answered_from_the_cache(
    app, client, visitor, auth, make_user
):
    visitor.get("/board")
    client.set_cookie("anything", "1")
    _, ran = _get(app, client, "/board")
    assert ran > 0
    auth.login(make_user(username="officer-x"))
    response, ran = _get(app, client, "/board")
    assert ran > 0 and response.headers["Cache-Control"] == "no-store"
    assert "X-CSRFToken" in response.get_data(as_text=True)


def test_an_answer_that_sets_a_cookie_or_is_not_public_is_never_kept(app, visitor):
    login = visitor.get("/login")  # its form's CSRF token opens a session
    assert "Set-Cookie" in login.headers
    assert "Set-Cookie" in visitor.get("/login").headers  # rendered again: a new session
    missing = visitor.get("/verify/NOSUCHCODE1")
    assert missing.status_code == 404
    assert not [k for k in app.extensions.get("page_cache", {}) if "/verify/NOSUCHCODE1" in k]
    kept_paths = {k[4] for k in app.extensions.get("page_cache", {}) if k[0] == "page"}
    assert kept_paths <= {"/board", "/verify"}


@pytest.mark.parametrize("url", ["/board", "/verify"])
def test_a_public_page_opens_no_session_with_csrf_on(csrf_app, url):
    """A page marked public must not set a cookie: a proxy would hand it to everyone."""
    visitor = csrf_app.test_client(use_cookies=False)
    response = visitor.get(url)
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert "Set-Cookie" not in response.headers
    assert "csrf" not in response.get_data(as_text=True).lower()
    assert [k for k in csrf_app.extensions["page_cache"] if k[0] == "page" and k[4] == url]


def test_the_verify_form_is_public_but_a_lookup_is_not(app, visitor):
    form = visitor.get("/verify")
    assert form.headers["Cache-Control"].startswith("public, max-age=")
    _, ran = _get(app, visitor, "/verify")
    assert ran == 0
    looked_up = visitor.get("/verify?code=")
    assert looked_up.status_code == 422
    assert "public" not in looked_up.headers.get("Cache-Control", "")


def test_clearing_and_expiry_render_again(app, visitor, monkeypatch):
    visitor.get("/board")
    with app.app_context():
        pagecache.clear()
    _, ran = _get(app, visitor, "/board")
    assert ran > 0
    later = pagecache._clock() + 61
    monkeypatch.setattr(pagecache, "_clock", lambda: later)
    _, ran = _get(app, visitor, "/board")
    assert ran > 0


def test_a_page_kept_yesterday_is_rendered_again_today(app, visitor, monkeypatch):
    visitor.get("/board")
    tomorrow = pagecache.local_today() + timedelta(days=1)
    monkeypatch.setattr(pagecache, "local_today", lambda: tomorrow)
    _, ran = _get(app, visitor, "/board")
    assert ran > 0


def test_a_lifetime_of_zero_keeps_nothing(app, visitor):
    app.config["BOARD_CACHE_SECONDS"] = 0
    visitor.get("/board")
    _, ran = _get(app, visitor, "/board")
    assert ran > 0 and not app.extensions.get("page_cache")


def test_the_store_is_bounded(app, visitor):
    for n in range(pagecache.MAX_ENTRIES + 20):
        visitor.get(f"/board?page={n + 1}")
    assert len(app.extensions["page_cache"]) <= pagecache.MAX_ENTRIES + 1


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_a_boosted_or_history_request_cannot_poison_the_htmx_answer(app, visitor, header):
    """Issue 23.10: a request with HX-Request and one of these headers gets the whole page;
    kept under the plain htmx key, every htmx request would get the page for 60 s."""
    whole = visitor.get("/board", headers={"HX-Request": "true", header: "true"})
    assert "<html" in whole.text
    assert {"HX-Request", "HX-Boosted", "HX-History-Restore-Request"} <= set(whole.vary)
    partial = visitor.get("/board", headers={"HX-Request": "true"}).text
    assert "<html" not in partial
    again = visitor.get("/board", headers={"HX-Request": "true", header: "true"})
    assert again.data == whole.data
