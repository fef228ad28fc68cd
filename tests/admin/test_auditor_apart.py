"""三员分立 (issue 23.6): the administrator cannot become the auditor. Auditor accounts are
created and reset on the command line; an admin's attempt on the pages is refused and
audited, and the auditor's password stays what it was."""

import json

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash as verify_password

from portal.accounts.models import Role, User
from portal.admin import service
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.refusal import Refusal
from tests.admin.test_admin_pages import _staff, admin  # noqa: F401 (fixture)


def _refusals(app, action):
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEvent).filter_by(action=action, outcome="refused")
        ).all()


def test_admin_cannot_create_an_auditor(app, client, admin):  # noqa: F811
    assert "安全审计员</option>" not in client.get("/admin/users/new").text
    response = client.post("/admin/users/new", data=_staff(username="shadow", role="auditor"))
    assert response.status_code == 403 and "三员分立" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(User).filter_by(username="shadow")) is None
    [event] = _refusals(app, "user.create")
    assert event.username == "admin1" and "三员分立" in event.detail


def test_admin_cannot_reset_the_auditors_password(app, client, admin, make_user):  # noqa: F811
    auditor = make_user(Role.AUDITOR, username="auditor1")
    before = auditor.password_hash
    assert "命令行重置密码" in client.get("/admin/users").text
    assert client.get(f"/admin/users/{auditor.id}/password").status_code == 403
    response = client.post(
        f"/admin/users/{auditor.id}/password",
        data={"password": "Temp-2026a", "confirm": "Temp-2026a"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, auditor.id).password_hash == before
    events = _refusals(app, "user.reset_password")
    assert len(events) >= 1 and events[-1].object_id == str(auditor.id)
    client.post("/logout")
    response = client.post("/login", data={"username": "auditor1", "password": "Temp-2026a"})
    assert response.status_code != 303  # the admin's password does not open the auditor's


def test_the_service_refuses_an_admin_whatever_the_page(ctx, make_user):
    admin_user, auditor = make_user(Role.ADMIN), make_user(Role.AUDITOR)
    with pytest.raises(Refusal) as refused:
        service.reset_password(admin_user, auditor, "Temp-2026a")
    assert refused.value.status == 403 and refused.value.action == "user.reset_password"
    with pytest.raises(Refusal):
        service.create_user(
            admin_user,
            {"username": "x-aud", "name": "甲", "role": Role.AUDITOR, "password": "Temp-2026a"},
        )
    # another auditor may
    service.reset_password(make_user(Role.AUDITOR), auditor, "Temp-2026b")
    assert verify_password(auditor.password_hash, "Temp-2026b")


def test_auditors_are_created_and_reset_on_the_command_line(ctx, runner):
    result = runner.invoke(
        args=[
            "audit",
            "create-auditor",
            "--username",
            "auditor2",
            "--name",
            "审计乙",
            "--password",
            "Audit-2026x",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"created": "auditor2", "role": "auditor"}
    user = db.session.scalar(sa.select(User).filter_by(username="auditor2"))
    assert user.role is Role.AUDITOR
    result = runner.invoke(
        args=["audit", "reset-auditor", "--username", "auditor2", "--password", "Reset-2026y"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, "Reset-2026y")
    event = db.session.scalar(
        sa.select(AuditEvent).filter_by(action="user.reset_password", outcome="success")
    )
    assert event.username == "cli"


@pytest.mark.parametrize(
    "args",
    [
        ["reset-auditor", "--username", "nobody", "--password", "Reset-2026y"],
        ["reset-auditor", "--username", "admin9", "--password", "Reset-2026y"],  # not an auditor
        ["create-auditor", "--username", "weak1", "--name", "弱", "--password", "short"],
    ],
)
def test_bad_auditor_commands_exit_2(ctx, runner, make_user, args):
    make_user(Role.ADMIN, username="admin9")
    result = runner.invoke(args=["audit", *args])
    assert result.exit_code == 2 and "错误" in result.output
