"""Once with a real consumer: `flask jobs worker` in its own process picks up a job enqueued
in SQLite storage and runs it against the same database."""

import os

from portal.extensions import db
from portal.jobs import queue, service
from portal.jobs.models import Job, JobState
from tests.jobs.worker import run_worker_until_finished


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
        job, output = run_worker_until_finished(env, "publicity.close")
        assert job is not None and job.state is JobState.DONE, output
        assert "登记 1 份" in job.message
        declaration = db.session.get(Declaration, due_publicised["declaration_id"])
        assert declaration.status is DeclarationStatus.REGISTERED
        assert service.schedule_state(["publicity.close"])[0].last.id == job.id
    finally:
        app.config["JOBS_IMMEDIATE"] = True
        queue.init_app(app)
