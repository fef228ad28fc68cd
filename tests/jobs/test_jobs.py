"""The job queue: submitted on commit, run with progress (immediate mode), its page polled by
htmx, its result downloaded by the one who asked; the periodic close and its state."""

import os

import pytest

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.jobs import service
from portal.jobs.models import Job, JobState
from portal.jobs.queue import huey
from portal.storage import files


def _count_to_three(job, progress):
    for done in range(1, 4):
        progress(done, 3)
    service.save_result(job, b"a,b\n1,2\n", "结果.csv")
    return "数到三"


@huey.task()
def count_task(job_id):
    service.run(job_id, _count_to_three)


def _fail(job, progress):
    progress(1, 2)
    raise RuntimeError("磁盘已满")


@huey.task()
def failing_task(job_id):
    service.run(job_id, _fail)


def test_job_runs_on_commit_with_progress_and_result(app, ctx, make_user):
    user = make_user(Role.UNIT_REVIEWER)
    job = service.submit(user, "test.count", "数数", count_task)
    job_id = job.id
    assert job.state is JobState.QUEUED  # nothing runs before the commit
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.state is JobState.DONE
    assert (job.done, job.total, job.percent, job.message) == (3, 3, 100, "数到三")
    assert files.store().get(files.JOBS, job.result_file) == b"a,b\n1,2\n"


def test_rolled_back_submission_never_runs(app, ctx, make_user):
    user = make_user(Role.UNIT_REVIEWER)
    service.submit(user, "test.count", "数数", count_task)
    db.session.rollback()
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 0


def test_failed_job_says_why(app, ctx, make_user):
    user = make_user(Role.UNIT_REVIEWER)
    job_id = service.submit(user, "test.fail", "会失败", failing_task).id
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.state is JobState.FAILED
    assert "磁盘已满" in job.message
    assert job.done == 1 and not service.has_result(job)


def test_status_fragment_polls_until_done_and_only_for_its_owner(app, client, auth, ctx, make_user):
    owner = make_user(Role.UNIT_REVIEWER)
    other = make_user(Role.UNIT_REVIEWER)
    running = Job(kind="test", title="进行中的任务", created_by_id=owner.id)
    running.state, running.done, running.total = JobState.RUNNING, 2, 8
    db.session.add(running)
    db.session.commit()
    auth.login(owner)
    page = client.get(f"/jobs/{running.id}", headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert 'hx-trigger="every 1s"' in page.text and "2 / 8（25%）" in page.text
    assert "<html" not in page.text  # the fragment alone
    full = client.get(f"/jobs/{running.id}")
    assert "<html" in full.text and 'value="25"' in full.text
    running.state = JobState.DONE
    db.session.commit()
    done = client.get(f"/jobs/{running.id}", headers={"HX-Request": "true"})
    assert "every 1s" not in done.text and "已完成" in done.text
    # Done without a result file: nothing to download.
    assert client.get(f"/jobs/{running.id}/result").status_code == 404
    auth.logout()
    auth.login(other)
    assert client.get(f"/jobs/{running.id}").status_code == 404


def test_result_download(app, client, auth, ctx, make_user):
    owner = make_user(Role.UNIT_REVIEWER)
    job_id = service.submit(owner, "test.count", "数数", count_task).id
    db.session.commit()
    auth.login(owner)
    response = client.get(f"/jobs/{job_id}/result")
    assert response.status_code == 200
    assert response.data == b"a,b\n1,2\n"
    assert "attachment" in response.headers["Content-Disposition"]


def test_periodic_close_registers_and_shows_its_last_run(app, client, auth, due_publicised):
    from portal.board.tasks import close_due_publicity
    from portal.declarations.models import Declaration, DeclarationStatus

    auth.login(due_publicised["officer"])
    before = client.get("/board/batches")
    assert "办结到期公示" in before.text and "尚未执行" in before.text
    assert "flask --app portal" not in before.text  # never a shell command to type
    job = service.run_periodic("publicity.close", close_due_publicity.work)
    assert job.state is JobState.DONE and job.created_by_id is None
    assert "登记 1 份" in job.message
    declaration = db.session.get(Declaration, due_publicised["declaration_id"])
    db.session.refresh(declaration)
    assert declaration.status is DeclarationStatus.REGISTERED
    after = client.get("/board/batches")
    assert after.text.count("尚未执行") == before.text.count("尚未执行") - 1
    assert "登记 1 份" in after.text
    assert "每天 00:30、08:30" in after.text
    # A periodic run belongs to the bureau: its page opens for an officer.
    assert client.get(f"/jobs/{job.id}").status_code == 200


def test_schedule_next_run():
    from datetime import datetime

    entry = service.SCHEDULE["publicity.close"]
    assert service.next_run(entry, datetime(2025, 10, 9, 0, 30)) == datetime(2025, 10, 9, 8, 30)
    assert service.next_run(entry, datetime(2025, 10, 9, 9, 0)) == datetime(2025, 10, 10, 0, 30)


@pytest.mark.parametrize("kind", ["publicity.close"])
def test_schedule_cli(runner, kind):
    import json

    result = runner.invoke(args=["jobs", "schedule"])
    assert result.exit_code == 0, result.output
    assert kind in {row["kind"] for row in json.loads(result.output)}


def test_nightly_backup(app, ctx, make_user):
    """The nightly task writes the same full backup as `flask backup` (checked on both
    databases: the manifest counts the rows the copy holds)."""
    import json
    import sqlite3

    from portal.admin.backup import MANIFEST, PG_DUMP, SQLITE_COPY
    from portal.admin.tasks import nightly_backup

    make_user(Role.BUREAU_OFFICER, username="backed-up")
    db.session.commit()
    job = service.run_periodic("backup.nightly", nightly_backup.work)
    assert job.state is JobState.DONE, job.message
    assert "instance/" not in job.message  # an officer reads it (20.13)
    [name] = os.listdir(app.config["BACKUP_FOLDER"])
    folder = f"{app.config['BACKUP_FOLDER']}/{name}"
    with open(f"{folder}/{MANIFEST}", encoding="utf-8") as handle:
        manifest = json.load(handle)
    users = db.session.query(User).count()
    assert '"user"' in json.dumps(manifest)  # the manifest counts the user table's rows
    if db.engine.dialect.name != "sqlite":
        assert os.path.getsize(f"{folder}/{PG_DUMP}") > 0
        return
    copy = sqlite3.connect(f"{folder}/{SQLITE_COPY}")
    try:
        assert copy.execute("select count(*) from user").fetchone() == (users,)
        assert copy.execute("select count(*) from user where username='backed-up'").fetchone() == (
            1,
        )
    finally:
        copy.close()


def test_nightly_backup_keeps_the_number_the_setting_says(app, ctx):
    """Retention: BACKUP_KEEP (a setting) nightly folders stay, the oldest beyond are removed;
    other folders in the backup folder are left alone."""
    from portal.admin.tasks import nightly_backup
    from portal.settings import set_setting

    root = app.config["BACKUP_FOLDER"]
    old = ["portal-20240101-020000", "portal-20240102-020000", "portal-20240103-020000"]
    for name in [*old, "manual-copy"]:
        os.makedirs(os.path.join(root, name))
    set_setting("BACKUP_KEEP", 2)
    db.session.commit()
    job = service.run_periodic("backup.nightly", nightly_backup.work)
    assert job.state is JobState.DONE and "保留最近 2 份" in job.message
    left = sorted(os.listdir(root))
    assert left[:2] == ["manual-copy", "portal-20240103-020000"] and len(left) == 3
    assert left[2].startswith("portal-2") and left[2] > old[-1]


def _audit_an_export(job, progress):
    from portal.audit.service import record

    record("exchange.export", detail="后台任务")
    return "已导出"


@huey.task()
def audit_task(job_id):
    service.run(job_id, _audit_an_export)


def test_a_job_started_from_a_page_is_audited_with_the_pages_address(app, ctx, make_user):
    """Issue 20.8: the worker has no request; what it does carries the officer's address."""
    from portal.audit.models import AuditEvent

    user = make_user(Role.BUREAU_OFFICER)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        service.submit(user, "test.audit", "导出", audit_task)
    db.session.commit()  # the worker's turn: outside any request
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="exchange.export"))
    assert event.ip == "10.1.2.3"
    # a job nobody asked from a page (the schedule, the command line) stays "cli"
    service.submit(user, "test.audit", "导出", audit_task)
    db.session.commit()
    ips = db.session.scalars(
        db.select(AuditEvent.ip).filter_by(action="exchange.export").order_by(AuditEvent.id)
    ).all()
    assert ips == ["10.1.2.3", "cli"]


def test_the_schedule_runs_in_the_bureaus_time_on_a_utc_machine(app, monkeypatch):
    """Issue 20.10: huey hands the periodic check its (UTC) clock; 08:30 is the bureau's."""
    import time
    from datetime import UTC, datetime

    from portal.jobs.queue import huey

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert huey.utc  # the consumer's timestamps are UTC, whatever the machine says
        close = next(t for t in huey._registry.periodic_tasks if t.name == "publicity.close")
        # 00:30 UTC is 08:30 in Asia/Shanghai: due; 08:30 UTC is 16:30 there: not due
        assert close.validate_datetime(datetime(2025, 10, 9, 0, 30))
        assert not close.validate_datetime(datetime(2025, 10, 9, 8, 30))
        entry = service.SCHEDULE["publicity.close"]
        aware = datetime(2025, 10, 9, 1, 0, tzinfo=UTC)  # 09:00 in the bureau
        assert service.next_run(entry, aware) == datetime(2025, 10, 10, 0, 30)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def _clock_in(zone: str | None):
    """The bureau's clock of a fresh process on a UTC machine, with PORTAL_TIMEZONE = zone."""
    import subprocess
    import sys

    env = {**os.environ, "TZ": "UTC"}
    env.pop("PORTAL_TIMEZONE", None)
    if zone is not None:
        env["PORTAL_TIMEZONE"] = zone
    code = (
        "from datetime import UTC, datetime\n"
        "from portal.clock import local_time\n"
        "print(local_time(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_bureaus_zone_is_a_setting_whatever_the_machines():
    """Issue 20.10: Asia/Shanghai by default on a UTC machine; PORTAL_TIMEZONE names another
    zone (Xinjiang time here); a name that is no zone stops the start with a Chinese message."""
    assert _clock_in(None).stdout.strip() == "2026-01-01 08:00"
    assert _clock_in("Asia/Urumqi").stdout.strip() == "2026-01-01 06:00"
    wrong = _clock_in("Mars/Olympus")
    assert wrong.returncode != 0 and "不是有效的时区名称" in wrong.stderr
