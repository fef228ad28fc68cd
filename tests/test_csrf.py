"""CSRF on every state-changing route: plain forms send the token field, htmx the header."""

import re

import pytest

from portal import create_app


def _post_urls():
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    urls = []
    for rule in app.url_map.iter_rules():
        # The pull API (/api/v1/) takes no cookie: its credential is the Authorization header,
        # which another site's page cannot send, so it is exempt (tests/exchange/test_api.py).
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            # every argument is an int id or a year; 1 and 2025 build a real URL
            urls.append(re.sub(r"<(?:int:)?(\w+)>", _value, rule.rule))
    return sorted(urls)


def _value(match) -> str:
    return "2025" if match.group(1) == "year" else "1"


POST_URLS = _post_urls()


def test_every_post_route_is_listed():
    assert "/login" in POST_URLS and "/board/objection/1" in POST_URLS
    assert len(POST_URLS) >= 30


@pytest.mark.parametrize("url", POST_URLS)
def test_post_without_token_is_refused(csrf_app, url):
    response = csrf_app.test_client().post(url, data={"anything": "1"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_htmx_header_token_is_accepted(csrf_app, client, make_user):
    """The token in X-CSRFToken (what base.html's hx-headers sends) passes the check."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    refused = client.post("/login", data={"username": "x", "password": "y"})
    assert refused.status_code == 400
    accepted = client.post(
        "/login", data={"username": "x", "password": "y"}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code != 400
