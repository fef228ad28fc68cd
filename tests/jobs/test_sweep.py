"""Issue 23.5: jobs whose consumer dies end. A consumer that starts fails the jobs no live
consumer owns; the people import is all-or-nothing; a bulk print finishes or leaves no copies;
the upload is deleted when the job ends, however it ends; job files are private (23.13)."""

import os
import stat
import subprocess
import sys
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa

from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import Professional, Role
from portal.audit.models import AuditEvent
from portal.certificates.models import CertificatePrint
from portal.exchange import tasks as exchange_tasks
from portal.extensions import db
from portal.jobs import cli as jobs_cli
from portal.jobs import service as jobs
from portal.jobs.models import Job, JobState
from portal.storage import files
from tests.exchange.test_exchange import roster


class Killed(BaseException):
    """The consumer dying (kill -9): nothing after it runs, nothing uncommitted survives."""


def _dead_worker() -> str:
    """The worker name of a consumer process on this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{jobs.socket.gethostname()}:{child.pid}:{jobs._start_time(os.getpid())}"


def _die_at(monkeypatch, row: int) -> None:
    """Progress reports work as before until `row`, then the consumer dies."""
    report = jobs.Progress.__call__

    def dying(self, done, total=None):
        report(self, done, total)
        if done >= row:
            raise Killed

    monkeypatch.setattr(jobs.Progress, "__call__", dying)


def _consumer_died() -> Job:
    """After the kill: the session's uncommitted work is gone with the process (the job ran,
    immediate, inside this session's commit, which the kill interrupted)."""
    db.session.remove()
    job = db.session.scalar(sa.select(Job))
    assert job.state is JobState.RUNNING  # as the dead consumer left it
    job.worker = _dead_worker()
    db.session.commit()
    return job


def test_a_started_consumer_fails_the_jobs_of_dead_consumers_and_deletes_their_uploads(
    app, ctx, make_user
):
    officer = make_user(Role.BUREAU_OFFICER)
    upload = jobs.store_upload(b"PK ID numbers", ".xlsx")
    orphan = Job(
        kind="exchange.import", title="导入", created_by_id=officer.id,
        state=JobState.RUNNING, worker=_dead_worker(), params={"upload": upload},
    )  # fmt: skip
    legacy = Job(kind="exchange.import", title="旧", state=JobState.RUNNING, worker="")
    alive = Job(kind="exchange.export", title="导出", state=JobState.RUNNING)
    alive.worker = jobs.worker_id()  # this process: alive
    elsewhere = Job(kind="exchange.export", title="他机", state=JobState.RUNNING)
    elsewhere.worker = "another-host:1:1"
    db.session.add_all([orphan, legacy, alive, elsewhere])
    db.session.commit()
    path = os.path.join(files.store().folder(files.JOBS), upload)
    assert os.path.exists(path)

    assert sorted(jobs.sweep()) == sorted([orphan.id, legacy.id])
    db.session.expire_all()
    assert orphan.state is JobState.FAILED and "后台任务进程在执行中停止" in orphan.message
    assert orphan.finished_at is not None and legacy.state is JobState.FAILED
    assert alive.state is JobState.RUNNING and elsewhere.state is JobState.RUNNING
    assert not os.path.exists(path)
    events = db.session.scalars(sa.select(AuditEvent).filter_by(action="job.abandoned")).all()
    assert {e.object_id for e in events} == {str(orphan.id), str(legacy.id)}
    assert jobs.sweep() == []  # once


def test_the_worker_command_sweeps_before_it_consumes(app, ctx, runner, monkeypatch):
    orphan = Job(kind="exchange.export", title="导出", state=JobState.RUNNING, worker="")
    db.session.add(orphan)
    db.session.commit()

    class Consumer:
        def run(self):
            with app.app_context():
                assert db.session.get(Job, orphan.id).state is JobState.FAILED

    monkeypatch.setattr(jobs_cli.queue.huey, "_immediate", False)
    monkeypatch.setattr(jobs_cli.queue.huey, "create_consumer", lambda **kwargs: Consumer())
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code == 0, result.output
    assert "1 个无人执行的任务标为失败" in result.output


def test_a_people_import_killed_half_way_leaves_nobody_and_no_file(
    app, ctx, make_user, monkeypatch
):
    officer = make_user(Role.BUREAU_OFFICER)
    rows = [
        [f"人员{i}", make_id_number(date(1980, 1, 1 + i % 28), i), "", "", "", "", "", ""]
        for i in range(120)
    ]
    data = roster(rows)
    app.config["JOBS_IMMEDIATE"] = True
    _die_at(monkeypatch, 100)
    with pytest.raises(Killed):
        exchange_tasks.submit_import(officer, data, "名单.xlsx")
        db.session.commit()  # enqueues: the job runs here (immediate) and dies at row 100
    job = _consumer_died()
    assert db.session.scalar(sa.select(sa.func.count(Professional.id))) == 0  # all or nothing
    monkeypatch.undo()
    jobs.sweep()
    assert db.session.get(Job, job.id).state is JobState.FAILED
    assert [
        n for n in os.listdir(files.store().folder(files.JOBS)) if n.startswith("upload-")
    ] == []


def test_a_finished_import_and_a_failed_one_both_delete_the_upload(app, client, auth, make_user):
    auth.login(make_user(Role.BUREAU_OFFICER))
    for content in (roster([["甲", "123", "", "", "", "", "", ""]]), roster([])):
        response = client.post(
            "/exchange/import",
            data={"file": (BytesIO(content), "名单.xlsx")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
    assert [
        n for n in os.listdir(files.store().folder(files.JOBS)) if n.startswith("upload-")
    ] == []


@pytest.fixture
def registered_unit(ctx, make_unit, make_user, make_professional, make_registered_declaration):
    """(a unit's reviewer, the unit, a function registering n of its people for 2025)."""
    unit = make_unit()

    def register(n):
        for i in range(n):
            make_registered_declaration(make_professional(unit=unit, name=f"人员{i}"), 2025)
        db.session.commit()

    return make_user(Role.UNIT_REVIEWER, unit=unit), unit, register


def test_a_bulk_print_killed_half_way_leaves_no_copies(app, registered_unit, monkeypatch):
    from portal.certificates import tasks as certificate_tasks

    reviewer, unit, register = registered_unit
    register(6)
    monkeypatch.setattr(certificate_tasks, "PROGRESS_STEPS", 6)  # a commit every copy
    _die_at(monkeypatch, 3)
    with pytest.raises(Killed):
        certificate_tasks.submit_bulk_print(reviewer, unit, 2025, "http://localhost/")
        db.session.commit()
    job = _consumer_died()
    assert db.session.scalar(sa.select(sa.func.count(CertificatePrint.id))) == 3  # committed
    monkeypatch.undo()

    assert jobs.sweep() == [job.id]
    assert db.session.scalar(sa.select(sa.func.count(CertificatePrint.id))) == 0
    db.session.expire_all()
    assert "已撤销未完成的打印件 3 份" in db.session.get(Job, job.id).message
    assert db.session.scalar(
        sa.select(AuditEvent).filter_by(action="certificate.print_withdrawn")
    ).detail.endswith("撤销已记录的 3 份打印件（未生成 PDF）")
    # a second run prints the six, not six more on top of three
    certificate_tasks.submit_bulk_print(reviewer, unit, 2025, "http://localhost/")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(CertificatePrint.id))) == 6


def test_a_bulk_print_that_fails_leaves_no_copies(app, registered_unit, monkeypatch):
    from portal.certificates import tasks as certificate_tasks

    reviewer, unit, register = registered_unit
    register(3)
    monkeypatch.setattr(certificate_tasks, "PROGRESS_STEPS", 3)

    def broken(job, data, name):
        raise OSError("磁盘已满")

    monkeypatch.setattr(certificate_tasks.jobs, "save_result", broken)
    certificate_tasks.submit_bulk_print(reviewer, unit, 2025, "http://localhost/")
    db.session.commit()
    job = db.session.scalar(sa.select(Job))
    assert job.state is JobState.FAILED
    assert db.session.scalar(sa.select(sa.func.count(CertificatePrint.id))) == 0


def test_job_files_are_private(app, ctx):
    """23.13: uploads, results and the rows-not-taken workbooks are written 0600."""
    name = jobs.store_upload(b"PK", ".xlsx")
    path = os.path.join(files.store().folder(files.JOBS), name)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    jobs.save_file("9-abc-unmatched.xlsx", b"x")
    other = os.path.join(files.store().folder(files.JOBS), "9-abc-unmatched.xlsx")
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o600
