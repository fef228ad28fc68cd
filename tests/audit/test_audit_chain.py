"""The audit log shows tampering (等保 2.0 审计记录保护): every event is HMAC-chained to the one
before; a raw SQL UPDATE, DELETE or INSERT on the table is caught and named by
`flask --app portal audit verify`, on SQLite and on PostgreSQL alike."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.audit import chain
from portal.audit import service as audit_service
from portal.audit.models import AuditChain, AuditEvent
from portal.audit.service import record
from portal.extensions import db


def _events(n, start=0):
    for i in range(start, start + n):
        record("unit.create", detail=f"第{i}条", username="admin")
    db.session.commit()


def _rows():
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()


def _verify(runner):
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, json.loads(result.stdout)


def _raw(sql, **params):
    db.session.execute(sa.text(sql), params)
    db.session.commit()
    db.session.expire_all()


def test_every_event_is_chained_to_the_one_before(app, ctx, runner):
    _events(4)
    rows = _rows()
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == ""
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert len({r.hash for r in rows}) == 4
    head = db.session.get(AuditChain, 1)
    assert (head.seq, head.hash) == (4, rows[-1].hash)
    code, report = _verify(runner)
    assert code == 0 and report["intact"] and report["checked"] == 4
    assert report["first_problem"] is None
    # The check itself is an audited, chained event.
    assert _rows()[-1].action == "audit.verify" and _rows()[-1].seq == 5


def test_the_hash_is_keyed_outside_the_database(app, ctx, runner):
    """The same events under another key do not verify: the key is what an editor lacks."""
    _events(2)
    app.config["AUDIT_KEY"] = "another-key"
    code, report = _verify(runner)
    assert code == 1
    assert report["first_problem"]["kind"] == "altered"
    assert report["first_problem"]["seq"] == 1


def test_raw_update_is_caught_and_named(app, ctx, runner):
    _events(5)
    victim = _rows()[2]
    _raw("UPDATE audit_event SET detail = '无事发生' WHERE id = :id", id=victim.id)
    code, report = _verify(runner)
    assert code == 1 and not report["intact"]
    first = report["first_problem"]
    assert (first["kind"], first["seq"], first["event_id"]) == ("altered", 3, victim.id)
    assert "序号 3 的审计记录" in first["message"] and "已被改动" in first["message"]
    assert len(report["problems"]) == 1  # the others still check


def test_raw_update_of_the_hash_too_is_caught(app, ctx, runner):
    """Recomputing a plain SHA-256 (no key) over the edited row does not help the editor."""
    import hashlib

    _events(3)
    victim = _rows()[1]
    forged = hashlib.sha256(b"edited").hexdigest()
    _raw(
        "UPDATE audit_event SET username = 'someone', hash = :h WHERE id = :id",
        h=forged,
        id=victim.id,
    )
    code, report = _verify(runner)
    assert code == 1
    assert [(p["kind"], p["seq"]) for p in report["problems"]][:2] == [
        ("altered", 2),
        ("relinked", 3),
    ]


def test_raw_delete_in_the_middle_is_caught_and_named(app, ctx, runner):
    _events(5)
    _raw("DELETE FROM audit_event WHERE seq = 2")
    code, report = _verify(runner)
    assert code == 1
    first = report["first_problem"]
    assert (first["kind"], first["seq"]) == ("missing", 2)
    assert "序号 2 的审计记录缺失" in first["message"]


def test_raw_delete_of_the_newest_is_caught(app, ctx, runner):
    _events(4)
    _raw("DELETE FROM audit_event WHERE seq >= 3")
    code, report = _verify(runner)
    assert code == 1
    first = report["first_problem"]
    assert (first["kind"], first["seq"]) == ("missing", 3)
    assert "序号 3–4" in first["message"]


def test_raw_insert_is_caught_and_named(app, ctx, runner):
    _events(3)
    _raw(
        "INSERT INTO audit_event (at, user_id, username, role, ip, action, object_type,"
        " object_id, object_name, outcome, detail) VALUES (:at, NULL, 'ghost', '', '1.2.3.4',"
        " 'user.create', '', '', '', 'success', '凭空多出的一条')",
        at=datetime.now(UTC),
    )
    stray = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.username == "ghost"))
    code, report = _verify(runner)
    assert code == 1
    first = report["first_problem"]
    assert (first["kind"], first["event_id"]) == ("unchained", stray.id)
    assert f"#{stray.id}" in first["message"]


def test_raw_insert_with_a_copied_hash_is_caught(app, ctx, runner):
    """A row slipped in with a place in the chain and a hash copied from a real event."""
    _events(3)
    real = _rows()[-1]
    _raw(
        "INSERT INTO audit_event (at, user_id, username, role, ip, action, object_type,"
        " object_id, object_name, outcome, detail, seq, prev_hash, hash) VALUES (:at, NULL,"
        " 'ghost', '', '', 'user.create', '', '', '', 'success', '伪造', 4, :prev, :hash)",
        at=datetime.now(UTC),
        prev=real.hash,
        hash=real.hash,
    )
    report = chain.verify(db.session)
    assert [(p.kind, p.seq) for p in report.problems] == [("altered", 4), ("head", 3)]
    db.session.rollback()
    # The portal goes on auditing after the stray row (its seq is not taken again) ...
    record("unit.update", detail="之后")
    db.session.commit()
    assert [r.seq for r in _rows()] == [1, 2, 3, 4, 5]
    # ... and the check still names the stray row first.
    code, report = _verify(runner)
    assert code == 1
    assert (report["first_problem"]["kind"], report["first_problem"]["seq"]) == ("altered", 4)


def test_a_moved_anchor_is_caught(app, ctx, runner):
    """Deleting the oldest events and moving the anchor to match, by hand, without the purge
    event that names it."""
    _events(4)
    second = _rows()[1].hash
    _raw("DELETE FROM audit_event WHERE seq <= 2")
    _raw("UPDATE audit_chain SET anchor_seq = 2, anchor_hash = :h", h=second)
    code, report = _verify(runner)
    assert code == 1
    assert report["first_problem"]["kind"] == "anchor"
    assert "早期记录可能被删除" in report["first_problem"]["message"]


def test_a_bulk_insert_cannot_skip_the_chain(app, ctx):
    with pytest.raises(RuntimeError, match="one by one"):
        db.session.execute(
            sa.insert(AuditEvent),
            [{"at": datetime.now(UTC), "action": "unit.create", "detail": "批量"}],
        )
    db.session.rollback()


def test_many_events_at_once_are_chained_in_order(app, ctx, runner):
    """record_many (a bulk load): sealed in the order given, after the events already pending
    in the session, masked as record() masks; the chain verifies and goes on after them."""
    record("unit.create", detail="先记录的", username="admin")  # pending, not yet flushed
    at = datetime(2026, 3, 1, tzinfo=UTC)
    written = audit_service.record_many(
        [
            {"action": "declaration.submit", "at": at, "username": "342523197903141001"},
            {"action": "review.approved", "at": at + timedelta(days=1), "object_id": 7},
        ]
    )
    assert written == 2 and audit_service.record_many([]) == 0
    record("unit.update", username="admin")
    db.session.commit()
    rows = _rows()
    assert [(r.seq, r.action) for r in rows] == [
        (1, "unit.create"),
        (2, "declaration.submit"),
        (3, "review.approved"),
        (4, "unit.update"),
    ]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert rows[1].username == "342523********1001" and rows[1].outcome == "success"
    assert rows[2].at == at + timedelta(days=1) and rows[2].detail == ""
    assert rows[2].object_id == "7"
    assert db.session.get(AuditChain, 1).seq == 4
    code, report = _verify(runner)
    assert code == 0 and report["checked"] == 4
    # A bulk-written row edited afterwards is caught like any other.
    _raw("UPDATE audit_event SET detail = '改过' WHERE seq = 2")
    code, report = _verify(runner)
    assert code == 1 and report["first_problem"]["seq"] == 2


def test_many_events_need_declared_actions_and_aware_times(app, ctx):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="undeclared audit action"):
        audit_service.record_many([{"action": "county.invented", "at": at}])
    with pytest.raises(ValueError, match="naive"):
        audit_service.record_many([{"action": "unit.create", "at": datetime(2026, 3, 1)}])
    db.session.rollback()
    assert _rows() == []


def test_events_added_directly_are_chained_too(app, ctx, runner):
    """An AuditEvent added to the session by hand (older code, tests) is sealed at flush."""
    db.session.add(AuditEvent(at=datetime(2026, 1, 5, tzinfo=UTC), action="unit.create"))
    db.session.add(AuditEvent(action="unit.update"))
    db.session.commit()
    assert [r.seq for r in _rows()] == [1, 2]
    assert _verify(runner)[0] == 0


def test_two_writers_at_once_do_not_fork_the_chain(app):
    """Threads appending at the same moment (on PostgreSQL without the advisory lock two of them
    would take the same seq and one would fail; on SQLite the write lock comes first)."""
    errors = []
    start = threading.Barrier(3)

    def writer(name):
        try:
            with app.app_context():
                start.wait()
                for i in range(15):
                    record("unit.create", detail=f"{name}-{i}", username=name)
                    db.session.commit()
        except Exception as error:  # the test reports it below
            errors.append(repr(error))

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        rows = _rows()
        assert [r.seq for r in rows] == list(range(1, 46))
        report = chain.verify(db.session)
        assert report.intact, report.summary
        db.session.rollback()


def test_the_auditor_checks_from_the_page(app, client, auth, make_user):
    from portal.accounts.models import Role

    auditor = make_user(Role.AUDITOR)
    _events(3)
    auth.login(auditor)
    page = client.get("/audit/").text
    assert "校验审计日志完整性" in page and "每晚校验" in page
    response = client.post("/audit/verify", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "审计日志完整" in response.text and 'id="audit-integrity"' in response.text
    victim = _rows()[1]
    _raw("UPDATE audit_event SET outcome = 'failure' WHERE id = :id", id=victim.id)
    response = client.post("/audit/verify", headers={"HX-Request": "true"})
    assert "审计日志不完整" in response.text and "序号 2 的审计记录" in response.text
    checks = db.session.scalars(
        sa.select(AuditEvent.outcome).where(AuditEvent.action == "audit.verify")
    ).all()
    assert checks == ["success", "failure"]


def test_the_key_file_is_made_private_beside_the_secret_key(tmp_path, monkeypatch):
    import os
    import stat

    from portal import create_app

    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("PORTAL_AUDIT_KEY", raising=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    key = tmp_path / "inst" / "audit_key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert app.config["AUDIT_KEY"] == key.read_text().strip()
    assert len(app.config["AUDIT_KEY"]) == 64
    again = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert again.config["AUDIT_KEY"] == app.config["AUDIT_KEY"]  # kept, not regenerated
    given = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "AUDIT_KEY": "from-env"}
    )
    assert given.config["AUDIT_KEY"] == "from-env"


@pytest.fixture
def empty_app(app):
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    return app


def test_the_migration_chains_the_events_already_logged(empty_app):
    from flask_migrate import downgrade, upgrade

    with empty_app.app_context():
        upgrade(revision="0012_authority_officer")
        with db.engine.begin() as c:
            for n, at in enumerate(
                [
                    datetime(2025, 3, 1, 1, 2, 3, 456789, tzinfo=UTC),
                    datetime(2026, 1, 1, tzinfo=UTC),
                ]
            ):
                c.execute(
                    sa.text(
                        "INSERT INTO audit_event (at, user_id, username, role, ip, action,"
                        " object_type, object_id, object_name, outcome, detail) VALUES (:at, 7,"
                        " 'admin', 'admin', '10.0.0.1', 'unit.create', 'unit', '3', '一中',"
                        " 'success', :d)"
                    ),
                    {"at": at, "d": f"旧记录{n}"},
                )
        upgrade()
        report = chain.verify(db.session)
        assert report.intact, report.summary
        assert report.checked == 2
        record("unit.update", detail="迁移之后")
        db.session.commit()
        report = chain.verify(db.session)
        assert report.intact and report.checked == 3
        db.session.rollback()
        downgrade(revision="0012_authority_officer")
        downgrade(revision="base")


def test_retention_purge_keeps_the_chain_verifiable(app, ctx, runner):
    """Events older than the retention period go; the purge is audited and names the anchor, and
    the retained chain still verifies from there."""
    from portal.audit.service import purge

    now = datetime.now(UTC)
    for months_ago in (9, 8, 7):
        db.session.add(
            AuditEvent(
                at=now - timedelta(days=31 * months_ago),
                action="unit.create",
                detail=f"{months_ago}个月前",
            )  # fmt: skip
        )
    db.session.commit()
    _events(2)
    deleted = purge(6)
    db.session.commit()
    assert deleted == 3
    rows = _rows()
    assert [r.seq for r in rows] == [4, 5, 6]
    assert rows[-1].action == "audit.purge"
    assert "删除" in rows[-1].detail and "3 条" in rows[-1].detail
    head = db.session.get(AuditChain, 1)
    assert head.anchor_seq == 3 and rows[0].prev_hash == head.anchor_hash
    assert head.anchor_hash in rows[-1].detail
    code, report = _verify(runner)
    assert code == 0, report
    assert (report["first_seq"], report["anchor_seq"]) == (4, 3)
    result = runner.invoke(args=["audit", "purge", "--months", "12"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"months": 12, "deleted": 0, "exported": None}
    # A second purge with nothing to delete changes nothing and still verifies.
    assert purge(6) == 0
    db.session.commit()
    assert _verify(runner)[0] == 0
    # Deleting the oldest retained event is still caught after a purge.
    _raw("DELETE FROM audit_event WHERE seq = 4")
    code, report = _verify(runner)
    assert code == 1 and report["first_problem"]["seq"] == 4
    # ... and `flask audit purge` then keeps everything (the old events may be the evidence).
    db.session.add(AuditEvent(at=now - timedelta(days=400), action="unit.create"))
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    result = runner.invoke(args=["audit", "purge", "--months", "6"])
    assert result.exit_code == 1 and "未清理" in result.stderr
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == count + 1  # + the check


def test_retention_below_six_months_is_refused(app, ctx, runner, client, auth, make_user):
    from portal.accounts.models import Role
    from portal.audit.service import purge
    from portal.refusal import Refusal
    from portal.settings import SETTINGS, get_setting

    with pytest.raises(Refusal, match="不能少于 6 个月"):
        purge(5)
    result = runner.invoke(args=["audit", "purge", "--months", "5"])
    assert result.exit_code == 2 and "不能少于 6 个月" in result.stderr
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    form = {spec.key: "" for spec in SETTINGS}
    page = client.get("/admin/settings").text
    assert "审计日志保存期限（月）" in page
    for spec in SETTINGS:
        value = get_setting(spec.key)
        form[spec.key] = (
            ("y" if value else "")
            if spec.kind == "bool"
            else value // (1024 * 1024)
            if spec.kind == "mb"
            else value
        )
    form["AUDIT_RETENTION_MONTHS"] = 5
    form = {k: v for k, v in form.items() if v != ""}
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 422
    assert "应在6–120之间" in response.text
    assert get_setting("AUDIT_RETENTION_MONTHS") == 0  # kept (issue 22.9)
    form["AUDIT_RETENTION_MONTHS"] = 12
    response = client.post("/admin/settings", data=form)
    assert response.status_code in (200, 303)
    db.session.expire_all()
    from flask import g

    g.pop("_settings", None)
    assert get_setting("AUDIT_RETENTION_MONTHS") == 12


def test_the_nightly_task_checks_and_purges(app, ctx):
    from portal.admin.audit_tasks import KIND, audit_nightly
    from portal.jobs.models import JobState
    from portal.jobs.service import run_periodic

    app.config["AUDIT_RETENTION_MONTHS"] = 6  # the default keeps everything (issue 22.9)
    now = datetime.now(UTC)
    db.session.add(AuditEvent(at=now - timedelta(days=300), action="unit.create"))
    db.session.commit()
    _events(2)
    job = run_periodic(KIND, audit_nightly.work)
    assert job.state is JobState.DONE, job.message
    assert "审计日志完整" in job.message and "记录 1 条" in job.message
    assert db.session.scalar(sa.select(sa.func.min(AuditEvent.seq))) == 2
    # A broken chain is reported and not purged: the old events may be the evidence.
    db.session.add(AuditEvent(at=now - timedelta(days=300), action="unit.create"))
    db.session.commit()
    _raw("UPDATE audit_event SET detail = 'x' WHERE seq = 2")
    job = run_periodic(KIND, audit_nightly.work)
    assert job.state is JobState.FAILED
    assert "审计日志不完整" in job.message and "未清理" in job.message
    assert db.session.scalar(sa.select(sa.func.min(AuditEvent.seq))) == 2


def test_a_restored_instance_goes_on_with_the_restored_key(tmp_path, monkeypatch):
    """The audit key travels with the backup; the restoring process appends with it at once."""
    from portal import create_app

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_AUDIT_KEY", raising=False)

    def instance(name):
        monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / name))
        return create_app({"TESTING": True})

    source = instance("source")
    with source.app_context():
        db.create_all()
        _events(3)
        assert source.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
        db.engine.dispose()
    target = instance("target")
    assert target.config["AUDIT_KEY"] != source.config["AUDIT_KEY"]
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "b")])
        assert result.exit_code == 0, result.output
        assert target.config["AUDIT_KEY"] == source.config["AUDIT_KEY"]
        report = chain.verify(db.session)
        assert report.intact, report.summary
        assert report.checked == 5  # three events, the backup and the restore
        db.session.rollback()
        db.engine.dispose()
