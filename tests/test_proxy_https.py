"""Behind a reverse proxy: throttles see the real client; HTTPS: Secure cookies and HSTS."""

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.audit.models import AuditEvent
from portal.extensions import db


@pytest.fixture
def make_app(tmp_path):
    apps = []

    def make(**settings):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'p{len(apps)}.sqlite3'}",
                "UPLOAD_FOLDER": str(tmp_path / "evidence"),
                "WTF_CSRF_ENABLED": False,
                **settings,
            }
        )
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _verify(client, forwarded_for):
    return client.get(
        "/verify/ABCDEFGHJK",
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
    ).status_code


def test_behind_one_proxy_each_client_is_counted_apart(make_app):
    app = make_app(TRUSTED_PROXIES=1, TRUSTED_PROXY_ADDRESSES=["10.0.0.1"], VERIFY_LIMIT_PER_HOUR=1)
    client = app.test_client()
    assert _verify(client, "203.0.113.7") == 404
    assert _verify(client, "203.0.113.7") == 429
    assert _verify(client, "198.51.100.2") == 404  # another client behind the same proxy
    # A client's own X-Forwarded-For in front of the proxy's entry is not believed
    assert _verify(client, "192.0.2.1, 203.0.113.7") == 429


def test_without_trusted_proxy_the_header_is_ignored(make_app):
    app = make_app(VERIFY_LIMIT_PER_HOUR=1)
    client = app.test_client()
    assert _verify(client, "203.0.113.7") == 404
    assert _verify(client, "198.51.100.2") == 429  # forging the header changes nothing


def test_login_failures_are_recorded_with_the_real_address(make_app):
    app = make_app(TRUSTED_PROXIES=1, TRUSTED_PROXY_ADDRESSES=["10.0.0.1"])
    client = app.test_client()
    client.post(
        "/login",
        data={"username": "nobody", "password": "wrong-Passw0rd"},
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    with app.app_context():
        ips = set(db.session.scalars(sa.select(AuditEvent.ip)))
    assert ips == {"203.0.113.9"}


def test_https_setting_gives_secure_cookies_and_hsts(make_app):
    app = make_app(HTTPS=True, TRUSTED_PROXIES=1)
    client = app.test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = response.headers.get("Set-Cookie", "")
    assert "portal_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_plain_http_has_no_hsts(make_app):
    app = make_app()
    response = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers.get("Set-Cookie", "")


def test_one_attacker_behind_the_proxy_does_not_lock_out_the_office(make_app):
    """The login throttle counts each client behind nginx apart: a colleague still logs in
    while the guesser's own address is paused."""
    from portal.accounts.models import Role, User
    from portal.accounts.service import hash_password

    app = make_app(
        TRUSTED_PROXIES=1, TRUSTED_PROXY_ADDRESSES=["10.0.0.1"], LOGIN_MAX_FAILURES_PER_ADDRESS=5
    )
    with app.app_context():
        db.session.add(
            User(username="colleague", name="同事", role=Role.UNIT_REVIEWER,
                 password_hash=hash_password("Passw0rd!"))
        )  # fmt: skip
        db.session.commit()
    client = app.test_client()

    def login(address, username, password):
        return client.post(
            "/login",
            data={"username": username, "password": password},
            headers={"X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # every request comes from the proxy
        ).status_code

    for n in range(5):
        assert login("203.0.113.9", f"guess{n}", "wrong-Passw0rd") == 422
    assert login("203.0.113.9", "colleague", "Passw0rd!") == 429  # the guesser is paused
    assert login("203.0.113.10", "colleague", "Passw0rd!") == 303  # the office is not


def test_forwarded_addresses_are_believed_only_from_the_proxy(make_app):
    """Issue 23.12: with TRUSTED_PROXIES=1 and gunicorn reachable directly, a rotating
    X-Forwarded-For bypassed every limit. Only a connection from TRUSTED_PROXY_ADDRESSES is
    believed; a client connecting directly is counted by its own address."""
    app = make_app(TRUSTED_PROXIES=1, TRUSTED_PROXY_ADDRESSES=["10.0.0.1"], VERIFY_LIMIT_PER_HOUR=1)
    client = app.test_client()

    def direct(forwarded_for):
        return client.get(
            "/verify/ABCDEFGHJK",
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "198.18.0.9"},  # not the proxy
        ).status_code

    assert direct("203.0.113.1") == 404
    assert direct("203.0.113.2") == 429  # a new forged address each time changes nothing
    assert direct("203.0.113.3") == 429
    assert _verify(client, "203.0.113.1") == 404  # through the proxy: that client's own count


def test_the_default_trusted_proxy_is_the_local_one(make_app):
    app = make_app(TRUSTED_PROXIES=1, VERIFY_LIMIT_PER_HOUR=1)
    client = app.test_client()

    def via(remote, forwarded_for):
        return client.get(
            "/verify/ABCDEFGHJK",
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": remote},
        ).status_code

    assert via("127.0.0.1", "203.0.113.1") == 404
    assert via("127.0.0.1", "203.0.113.2") == 404  # nginx on the same machine: believed
    assert via("192.0.2.50", "203.0.113.3") == 404
    assert via("192.0.2.50", "203.0.113.4") == 429  # directly: its own address
