"""Login hardening: lockout, address throttle, disabled accounts, replayed cookies, idle timeout."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts import service
from portal.accounts.models import LoginAttempt, Role, User
from portal.audit.models import AuditEvent
from portal.clock import local_time
from portal.extensions import db
from portal.settings import set_setting
from tests.conftest import PASSWORD

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Anhui


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr("portal.accounts.service.utcnow", clock)
    return clock


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def _actions(app, action=None):
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.filter_by(action=action)
        return db.session.scalars(query).all()


def _reload(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


def test_lockout_at_exactly_the_fifth_failure_and_release_after_15_minutes(
    app, client, make_user, clock
):
    user = make_user(Role.ADMIN)
    for _ in range(4):
        response = _login(client, user.username, "Wrong-pass1")
        assert response.status_code == 422
        assert "账号或密码不正确" in response.text
    assert "再失败 1 次将锁定 15 分钟" in response.text
    assert _reload(app, user.id).locked_until is None

    response = _login(client, user.username, "Wrong-pass1")
    until = T0 + timedelta(minutes=15)
    assert response.status_code == 423
    assert "账号已锁定" in response.text
    assert f"请于 {local_time(until, '%H:%M')} 后再试" in response.text
    assert local_time(until, "%H:%M") == "09:15"
    assert _reload(app, user.id).locked_until == until
    assert [e.outcome for e in _actions(app, "auth.lockout")] == ["failure"]

    clock.advance(minutes=14, seconds=59)
    response = _login(client, user.username, PASSWORD)  # right password, still locked
    assert response.status_code == 423
    assert client.get("/password").status_code == 302  # not logged in

    clock.advance(seconds=2)
    assert _login(client, user.username, PASSWORD).status_code == 303
    user = _reload(app, user.id)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_success_resets_the_failure_count(app, client, make_user, clock):
    user = make_user(Role.ADMIN)
    for _ in range(4):
        _login(client, user.username, "Wrong-pass1")
    assert _login(client, user.username, PASSWORD).status_code == 303
    client.post("/logout")
    for _ in range(4):
        assert _login(client, user.username, "Wrong-pass1").status_code == 422
    assert _reload(app, user.id).locked_until is None


def test_unknown_name_gets_the_same_answers_as_a_real_account(app, client, make_user, clock):
    user = make_user(Role.ADMIN)

    def answers(username):
        texts = []
        for _ in range(6):
            response = _login(client, username, "Wrong-pass1")
            text = re.search(r'<(?:p class="error"[^>]*)>([^<]+)<', response.text).group(1)
            texts.append((response.status_code, text))
        return texts

    assert answers("nobody-here") == answers(user.username)
    assert _actions(app, "auth.lockout")[0].user_id is None


def test_disabled_account_is_refused_even_with_the_right_password(app, client, make_user, clock):
    user = make_user(Role.ADMIN, active=False)
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 422
    assert "该账号已停用" in response.text
    assert _actions(app, "auth.login")[-1].outcome == "failure"


def test_address_throttle_does_not_lock_the_victims_account(app, client, make_user, clock):
    victim = make_user(Role.UNIT_REVIEWER)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    # An attacker sprays wrong passwords over many names, fewer than 5 per name.
    for n in range(limit):
        assert _login(client, f"guess{n % 5}", "Wrong-pass1", ip="203.0.113.9").status_code in (
            422,
            423,
        )
    for _ in range(10):
        response = _login(client, victim.username, "Wrong-pass1", ip="203.0.113.9")
        assert response.status_code == 429
        assert "此网络地址登录失败次数过多" in response.text
    assert "请于 09:15 后再试" in response.text
    # Even the right password is not checked from the throttled address.
    assert _login(client, victim.username, PASSWORD, ip="203.0.113.9").status_code == 429

    victim = _reload(app, victim.id)
    assert (victim.failed_logins, victim.locked_until) == (0, None)
    assert _actions(app, "auth.throttle")[0].outcome == "denied"
    # The victim, from their own address, logs in at once.
    assert _login(client, victim.username, PASSWORD, ip="10.1.1.1").status_code == 303


def test_address_throttle_ends_after_the_window(app, client, make_user, clock):
    user = make_user(Role.ADMIN)
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 6
    for n in range(6):
        _login(client, f"guess{n}", "Wrong-pass1", ip="203.0.113.9")
    assert _login(client, user.username, PASSWORD, ip="203.0.113.9").status_code == 429
    clock.advance(minutes=15, seconds=1)
    assert _login(client, user.username, PASSWORD, ip="203.0.113.9").status_code == 303


def test_throttle_state_lives_in_the_database(app, ctx, make_user):
    """Two processes share it: the attempts are rows, not memory."""
    for n in range(3):
        service.login(f"x{n}", "bad", "198.51.100.7", now=T0 + timedelta(seconds=n))
    db.session.commit()
    rows = db.session.scalars(db.select(LoginAttempt)).all()
    assert [(r.ip, r.outcome, r.success) for r in rows] == [("198.51.100.7", "failure", False)] * 3
    assert all(len(r.username_key) == 32 for r in rows)


def test_attempt_rows_do_not_keep_full_id_numbers(app, client, make_professional, clock):
    person = make_professional()
    _login(client, person.id_number, "Wrong-pass1")
    with app.app_context():
        attempt = db.session.scalar(db.select(LoginAttempt))
        event = db.session.scalar(db.select(AuditEvent))
    assert person.id_number not in attempt.username
    assert person.id_number not in event.username + event.detail


def test_login_settings_come_from_the_settings_table(app, client, make_user, clock):
    user = make_user(Role.ADMIN)
    with app.test_request_context():
        set_setting("LOGIN_MAX_FAILURES", 3)
        db.session.commit()
    for _ in range(2):
        assert _login(client, user.username, "Wrong-pass1").status_code == 422
    assert _login(client, user.username, "Wrong-pass1").status_code == 423


def test_login_redirects_to_next_only_on_this_site(client, make_user):
    user = make_user(Role.ADMIN)
    response = client.post(
        "/login?next=/password", data={"username": user.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/password"
    client.post("/logout")
    response = client.post(
        "/login?next=//evil.example/x", data={"username": user.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_logout_is_audited_and_replayed_cookie_refused(app, client, auth, make_user):
    user = make_user(Role.ADMIN)
    auth.login(user)
    with client.session_transaction() as session:
        stolen = dict(session)
    auth.logout()
    with client.session_transaction() as session:
        session.update(stolen)
    assert client.get("/password").status_code == 302
    events = _actions(app)
    assert [e.action for e in events] == ["auth.login", "auth.logout"]
    assert (events[1].object_type, events[1].object_id) == ("user", str(user.id))


def test_cookie_of_a_disabled_account_is_refused(app, client, auth, make_user):
    user = make_user(Role.UNIT_REVIEWER)
    admin = make_user(Role.ADMIN)
    auth.login(user)
    assert client.get("/password").status_code == 200
    admin_client = app.test_client()
    admin_client.post("/login", data={"username": admin.username, "password": PASSWORD})
    response = admin_client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    assert response.status_code == 303
    response = client.get("/password")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_idle_timeout_logs_out_and_says_so_on_the_login_page(app, client, auth, make_user):
    user = make_user(Role.ADMIN)
    auth.login(user)
    assert client.get("/password").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] -= 31 * 60
    response = client.get("/password", follow_redirects=True)
    assert response.request.path == "/login"
    assert response.text.count("登录已超时，请重新登录") == 1
    assert "请先登录" not in response.text
    assert client.get("/password").status_code == 302  # still anonymous
    assert _actions(app, "auth.timeout")[0].user_id == user.id


def test_idle_timeout_within_the_limit_keeps_the_session(client, auth, make_user):
    user = make_user(Role.ADMIN)
    auth.login(user)
    with client.session_transaction() as session:
        session["last_seen"] -= 29 * 60
    assert client.get("/password").status_code == 200


def test_last_seen_is_written_again_only_after_a_step(client, auth, make_user):
    """The idle clock moves in steps (LAST_SEEN_STEP): a page a few seconds after the last one
    sends no new session cookie; one after the step moves the clock to now."""
    from portal import LAST_SEEN_STEP

    auth.login(make_user(Role.ADMIN))
    client.get("/password")
    assert "Set-Cookie" not in client.get("/password").headers
    with client.session_transaction() as session:
        session["last_seen"] -= LAST_SEEN_STEP + 1
        before = session["last_seen"]
    response = client.get("/password")
    assert "session=" in response.headers["Set-Cookie"]
    with client.session_transaction() as session:
        assert session["last_seen"] >= before + LAST_SEEN_STEP + 1


def test_an_old_last_seen_does_not_end_a_new_login(client, auth, make_user):
    user = make_user(Role.ADMIN)
    auth.login(user)
    auth.logout()
    with client.session_transaction() as session:
        session["last_seen"] = 0
    auth.login(user)
    assert client.get("/password").status_code == 200


def test_a_busy_session_still_ends_12_hours_after_the_login(app, client, auth, make_user):
    """Issue 23.13 (等保): an absolute session lifetime, SESSION_MAX_HOURS (12) by default."""
    user = make_user(Role.ADMIN)
    auth.login(user)
    with client.session_transaction() as session:
        session["logged_in_at"] -= 11 * 3600 + 3500
    assert client.get("/password").status_code == 200  # active all along: still in
    with client.session_transaction() as session:
        session["logged_in_at"] -= 200  # now beyond 12 hours, the last page a minute ago
    response = client.get("/password", follow_redirects=True)
    assert response.request.path == "/login" and "登录已超时" in response.text
    [event] = _actions(app, "auth.timeout")
    assert event.user_id == user.id and "最长时长" in event.detail
