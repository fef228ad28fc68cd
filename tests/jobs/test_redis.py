"""RedisHuey for real: a redis-server started here, a job enqueued into it by the app and run
by `flask jobs worker` in its own process with the same REDIS_URL.

`make test` installs redis-server (Debian) and the redis client (the `test` extra) and sets
PORTAL_REQUIRE_REDIS=1: there a missing server or client fails this test instead of skipping
it. Elsewhere (a developer's machine without redis) it is skipped with the reason."""

import os

from portal.extensions import db
from portal.jobs import queue
from portal.jobs.models import Job, JobState
from tests.jobs.worker import ROOT, run_worker_until_finished

# redis_url: tests/conftest.py (a redis-server started by tests/services.py)


def test_redis_huey_runs_a_job_with_a_real_consumer(app, ctx, redis_url, due_publicised):
    import redis
    from huey.storage import RedisStorage

    from portal.board.tasks import close_due_publicity
    from portal.declarations.models import Declaration, DeclarationStatus

    app.config.update(JOBS_IMMEDIATE=False, REDIS_URL=redis_url)
    queue.init_app(app)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "PORTAL_SECRET_KEY": "test",
        "PORTAL_UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "PORTAL_JOBS_RESULT_FOLDER": app.config["JOBS_RESULT_FOLDER"],
    }
    try:
        assert queue.backend_name() == "redis"
        assert isinstance(queue.huey.storage, RedisStorage)
        close_due_publicity()  # enqueued in redis, not run: nobody consumes yet
        assert db.session.scalar(db.select(db.func.count(Job.id))) == 0
        assert queue.huey.pending_count() == 1
        # The message is in the server itself, under huey's queue key.
        assert redis.Redis.from_url(redis_url).llen(queue.huey.storage.queue_key) == 1
        job, output = run_worker_until_finished(env, "publicity.close")
        assert "redis" in output, output  # the consumer said which queue it serves
        assert job is not None and job.state is JobState.DONE, output
        assert "登记 1 份" in job.message
        declaration = db.session.get(Declaration, due_publicised["declaration_id"])
        assert declaration.status is DeclarationStatus.REGISTERED
        assert queue.huey.pending_count() == 0
    finally:
        app.config.update(JOBS_IMMEDIATE=True, REDIS_URL=None)
        queue.init_app(app)


def test_make_test_installs_redis_and_requires_the_test():
    """The promise above: make test installs both and turns a skip into a failure."""
    import tomllib

    makefile = (ROOT / "Makefile").read_text()
    packages = makefile.split("APT_PACKAGES :=", 1)[1].split("\n\n", 1)[0]
    assert "redis-server" in packages.split("NODE_PACKAGES")[0]
    pytest_line = makefile.split("PYTEST_CMD :=", 1)[1].split("\n", 1)[0]
    assert "PORTAL_REQUIRE_REDIS=1" in pytest_line
    # both runs start from that command
    assert "PYTEST := $(PYTEST_CMD) " in makefile
    postgres = makefile.split("test-postgres:", 1)[1].split("\n\n", 1)[0]
    assert ".ci/with-postgres $(PYTEST_CMD) " in postgres
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("redis") for d in extras["optional-dependencies"]["test"])
