"""Once with a real consumer: `flask jobs worker` in its own process picks up a job enqueued
in SQLite storage and runs it against the same database."""

import os
import subprocess
import sys
import time
from pathlib import Path

from portal.extensions import db
from portal.jobs import queue, service
from portal.jobs.models import Job, JobState

ROOT = Path(__file__).resolve().parents[2]


def test_real_consumer_runs_a_queued_job(app, ctx, tmp_path, due_publicised):
    from portal.board.tasks import close_due_publicity
    from portal.declarations.models import Declaration, DeclarationStatus

    jobs_db = tmp_path / "jobs.sqlite3"
    app.config.update(JOBS_IMMEDIATE=False, JOBS_SQLITE_PATH=str(jobs_db))
    queue.init_app(app)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_JOBS_SQLITE_PATH": str(jobs_db),
        "PORTAL_SECRET_KEY": "test",
        "PORTAL_UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "PORTAL_JOBS_RESULT_FOLDER": app.config["JOBS_RESULT_FOLDER"],
    }
    env.pop("REDIS_URL", None)
    try:
        close_due_publicity()  # enqueued, not run: nobody consumes yet
        assert db.session.scalar(db.select(db.func.count(Job.id))) == 0
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "portal", "jobs", "worker", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            job = None
            while time.monotonic() < deadline:
                db.session.rollback()
                job = db.session.scalar(db.select(Job).where(Job.kind == "publicity.close"))
                if job is not None and job.state.finished:
                    break
                time.sleep(0.3)
        finally:
            worker.terminate()
            output = worker.communicate(timeout=20)[0].decode()
        assert job is not None and job.state is JobState.DONE, output
        assert "登记 1 份" in job.message
        declaration = db.session.get(Declaration, due_publicised["declaration_id"])
        assert declaration.status is DeclarationStatus.REGISTERED
        assert service.schedule_state(["publicity.close"])[0].last.id == job.id
    finally:
        app.config["JOBS_IMMEDIATE"] = True
        queue.init_app(app)
