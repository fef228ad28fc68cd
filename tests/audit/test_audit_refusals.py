"""Refused access is audited (who, address, route, what): 403, 404 on an object, CSRF refusals,
throttles and lockouts; at most one event per subject and kind a minute, with a count, so that a
flood cannot fill the log."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent, AuditRefusalWindow
from portal.audit.service import flush_refusal_counts, record_refusal
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import Refusal


def _events(action):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).all()


def _age_windows(minutes=2):
    """As if the last recorded refusal of every subject was `minutes` ago."""
    db.session.execute(
        sa.update(AuditRefusalWindow).values(recorded_at=utcnow() - timedelta(minutes=minutes))
    )
    db.session.commit()


def test_forbidden_is_audited_with_who_where_and_what(app, client, auth, make_professional):
    person = make_professional()
    auth.login(person.user)
    response = client.get("/audit/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 403
    (event,) = _events("access.forbidden")
    assert event.user_id == person.user.id and event.role == "professional"
    assert event.ip == "10.1.2.3" and event.outcome == "denied"
    assert "GET /audit/" in event.detail and "没有权限" in event.detail
    assert person.id_number not in event.username  # the ID-number login is masked
    assert "********" in event.username


def test_not_found_on_an_object_is_audited(app, client, auth, make_user, make_unit):
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    assert client.get("/admin/units/987654/edit").status_code == 404  # abort(404) in the view
    (event,) = _events("access.not_found")
    assert event.username == admin.username
    assert "GET /admin/units/987654/edit" in event.detail


def test_a_service_refusal_404_is_audited(app, client, auth, make_user):
    """get_job raises not_found() for someone else's job: a Refusal without an action."""
    from portal.jobs.models import Job

    owner, other = make_user(Role.BUREAU_OFFICER), make_user(Role.BUREAU_OFFICER)
    job = Job(kind="x", title="某任务", created_by_id=owner.id)
    db.session.add(job)
    db.session.commit()
    auth.login(other)
    assert client.get(f"/jobs/{job.id}").status_code == 404
    (event,) = _events("access.not_found")
    assert event.user_id == other.id and f"GET /jobs/{job.id}" in event.detail
    assert "无权查看" in event.detail


def test_a_url_that_names_no_page_is_not_audited(app, client, auth, make_user):
    auth.login(make_user(Role.ADMIN))
    assert client.get("/wp-login.php").status_code == 404
    assert client.get("/static/none.css").status_code == 404
    assert _events("access.not_found") == []


def test_csrf_refusal_is_audited(csrf_app, make_user):
    client = csrf_app.test_client()
    response = client.post(
        "/login", data={"username": "x", "password": "y"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert response.status_code == 400
    with csrf_app.app_context():
        (event,) = _events("access.csrf")
        assert event.ip == "10.9.9.9" and event.user_id is None
        assert "POST /login" in event.detail and "CSRF" in event.detail


def test_a_flood_of_refusals_writes_one_event_a_minute_with_the_count(
    app, client, auth, make_professional
):
    person = make_professional()
    auth.login(person.user)
    for _ in range(30):
        assert client.get("/audit/").status_code == 403
    assert len(_events("access.forbidden")) == 1
    window = db.session.get(AuditRefusalWindow, (f"user:{person.user.id}", "access.forbidden"))
    assert window.suppressed == 29
    # Another kind is its own window.
    assert client.get("/admin/units/987654/edit").status_code == 403
    assert len(_events("access.forbidden")) == 1
    _age_windows()
    assert client.get("/audit/").status_code == 403
    events = _events("access.forbidden")
    assert len(events) == 2
    assert "此前另有 30 次同类拒绝未逐条记录" in events[1].detail


def test_each_address_is_its_own_window(app, client, ctx):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.1"):
        client.get("/board/objection/987654", environ_base={"REMOTE_ADDR": address})
    assert sorted(e.ip for e in _events("access.not_found")) == ["10.0.0.1", "10.0.0.2"]


def test_the_nightly_summary_writes_the_counts_no_later_event_carried(app, client, ctx):
    for _ in range(4):
        client.get("/board/objection/987654", environ_base={"REMOTE_ADDR": "10.3.3.3"})
    assert len(_events("access.not_found")) == 1
    _age_windows()
    assert flush_refusal_counts() == 1
    db.session.commit()
    events = _events("access.not_found")
    assert len(events) == 2
    assert events[1].ip == "10.3.3.3" and "此前另有 3 次" in events[1].detail
    assert flush_refusal_counts() == 0  # counted once


def test_login_throttle_is_audited_without_flooding(app, client, ctx):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 5
    for n in range(5):
        client.post("/login", data={"username": f"nobody{n}", "password": "x"})
    for n in range(12):
        response = client.post("/login", data={"username": f"other{n}", "password": "x"})
        assert response.status_code == 429
    (event,) = _events("auth.throttle")
    assert event.outcome == "denied" and "暂停登录" in event.detail
    assert "POST /login" in event.detail
    _age_windows()
    client.post("/login", data={"username": "again", "password": "x"})
    events = _events("auth.throttle")
    assert len(events) == 2 and "此前另有 11 次" in events[1].detail


def test_lockout_is_audited_and_attempts_on_a_locked_account_do_not_flood(app, client, make_user):
    user = make_user(Role.UNIT_REVIEWER)
    for _ in range(5):
        client.post("/login", data={"username": user.username, "password": "wrong"})
    assert [e.outcome for e in _events("auth.lockout")] == ["failure"]
    for _ in range(10):
        response = client.post("/login", data={"username": user.username, "password": "wrong"})
        assert response.status_code == 423
    denied = [e for e in _events("auth.login") if e.outcome == "denied"]
    assert len(denied) == 1 and "账号锁定中" in denied[0].detail
    assert denied[0].user_id == user.id


def test_certificate_lookup_throttle_is_audited_without_flooding(app, client, ctx):
    app.config["VERIFY_LIMIT_PER_HOUR"] = 2
    for _ in range(2):
        assert client.get("/verify/ABCDEFGHJK").status_code == 404
    for _ in range(5):
        assert client.get("/verify/ABCDEFGHJK").status_code == 429
    (event,) = _events("certificate.verify_throttle")
    assert event.outcome == "refused"  # a refusal naming its action keeps its outcome
    assert "GET /verify/*" in event.detail and "ABCDEFGHJK" not in event.detail


@pytest.mark.parametrize(
    ("status", "action"),
    [(403, "access.forbidden"), (404, "access.not_found"), (429, "access.throttled")],
)
def test_a_refusal_without_an_action_is_audited_by_its_status(app, ctx, status, action):
    """E.g. the registration and activation throttles (429 refusals that name no action)."""
    with app.test_request_context(
        "/register", method="POST", environ_base={"REMOTE_ADDR": "10.7.7.7"}
    ):
        record_refusal(Refusal("此网络地址注册次数过多，请稍后再试。", status))
        record_refusal(Refusal("此网络地址注册次数过多，请稍后再试。", status))
    (event,) = _events(action)
    assert event.ip == "10.7.7.7" and "注册次数过多" in event.detail


def test_a_conflict_refusal_is_still_recorded_each_time(app, ctx, make_user):
    """Refused business actions (409/422 naming an action) are not flood-limited: each is one."""
    user = make_user(Role.ADMIN)
    with app.test_request_context("/x", method="POST"):
        for _ in range(2):
            record_refusal(Refusal("不能停用自己的账号", 409, action="user.disable", user=user))
    assert [e.outcome for e in _events("user.disable")] == ["refused", "refused"]


def test_every_denied_action_is_declared():
    from portal.audit.actions import ACTIONS
    from portal.audit.service import DENIED_ACTIONS

    assert set(DENIED_ACTIONS.values()) <= set(ACTIONS)
