"""The application shell: configuration, security headers, error pages, login."""

from flask import Flask

from portal import config, create_app
from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.extensions import db


def test_config_from_test_config(app):
    assert app.testing
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"}).secret_key == "k"


def test_passwords_are_hashed_with_scrypt_outside_the_test_suite(app, tmp_path):
    from portal.accounts.service import hash_password

    flask_app = Flask("x", instance_path=str(tmp_path))
    config.load(flask_app, None)
    assert flask_app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with flask_app.app_context():
        assert hash_password("Passw0rd!").startswith("scrypt:")
    with app.app_context():  # the suite's cheap method, set in tests/conftest.py only
        assert hash_password("Passw0rd!").startswith("pbkdf2:sha256:1000$")


def test_postgres_url_gets_psycopg_driver(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@localhost/portal")
    flask_app = Flask("x", instance_path=str(tmp_path))
    config.load(flask_app, None)
    assert (
        flask_app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@localhost/portal"
    )
    assert (tmp_path / "secret_key").read_text().strip() == flask_app.config["SECRET_KEY"]


def test_security_headers(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_404_is_chinese_and_has_no_trace(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text
    assert "Traceback" not in response.text


def test_login_and_logout(client, auth, make_user):
    user = make_user(Role.ADMIN)
    response = auth.login(user)
    assert response.status_code == 303
    assert client.get("/").status_code in (200, 302)
    auth.logout()
    with client.application.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert actions == ["auth.login", "auth.logout"]


def test_wrong_password_shows_message_and_is_audited(client, auth, make_user):
    user = make_user(Role.ADMIN)
    response = auth.login(user, "wrong-password")
    assert response.status_code == 422
    assert "账号或密码不正确" in response.text
    with client.application.app_context():
        event = db.session.scalar(db.select(AuditEvent))
    assert (event.action, event.outcome) == ("auth.login", "failure")


def test_session_cookie_replayed_after_logout_is_refused(client, auth, make_user):
    user = make_user(Role.ADMIN)
    auth.login(user)
    with client.session_transaction() as session:
        stolen = dict(session)
    auth.logout()
    with client.session_transaction() as session:
        session.update(stolen)
    response = client.get("/")
    assert response.status_code == 200  # the anonymous home page, not a redirect to work
    assert 'action="/logout"' not in response.text


def test_wtforms_builtin_messages_are_chinese(app):
    from flask_wtf import FlaskForm
    from wtforms import DateField, IntegerField

    class Form(FlaskForm):
        number = IntegerField("数")
        day = DateField("日")

    with app.test_request_context(method="POST", data={"number": "x", "day": "bad"}):
        form = Form(meta={"csrf": False})
        assert not form.validate()
        assert form.errors == {"number": ["不是有效的整数。"], "day": ["不是有效的日期值。"]}


def test_sqlite_pragmas(app):
    import pytest
    import sqlalchemy as sa

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only apply to SQLite")
        with db.engine.connect() as connection:
            pragma = lambda name: connection.execute(sa.text(f"PRAGMA {name}")).scalar()  # noqa: E731
            assert pragma("foreign_keys") == 1
            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 15000
            assert pragma("synchronous") == 2  # FULL


def test_413_is_chinese(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"username": "x" * 4096, "password": "y"})
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)


def test_500_is_chinese_without_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "系统错误" in text
    assert "secret internals" not in text and "Traceback" not in text


def test_403_page_is_chinese(client, auth, make_user):
    from portal.accounts.models import Role

    auth.login(make_user(Role.AUDITOR))
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403
    assert "没有权限" in forbidden.get_data(as_text=True)


def test_the_shipped_default_refuses_unfiled_trainings():
    """Issue 22.1 (001 三, 003 二): out of the box an unfiled professional training counts 0;
    the test configuration turns it off for tests that use trainings as plain hours."""
    from portal.config import Defaults

    assert Defaults.UNFILED_TRAINING_REFUSED is True
