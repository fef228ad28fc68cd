"""The huey instance: SQLite under instance/ by default, Redis when REDIS_URL is set, immediate
(in-process, in-memory) when JOBS_IMMEDIATE is true (the tests).

Tasks are declared against the module-level `huey` at import time; `init_app` points it at the
storage the configuration asks for. A task runs inside an application context of its own, so
its database session is never the enqueuing request's.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from portal.config import private_file

# huey's clock is UTC whatever the server's zone; the periodic tasks read it in the bureau's
# time (portal.jobs.service.periodic), so 08:30 is 08:30 in Asia/Shanghai on a UTC machine too.
huey = Huey("portal", results=False, utc=True, immediate=True)
_apps: list[Flask] = []


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL") or os.environ.get("REDIS_URL")
    if redis_url:
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": redis_url}
    else:
        path = app.config.get("JOBS_SQLITE_PATH") or os.path.join(app.instance_path, "jobs.sqlite3")
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": path}
        if not app.config.get("JOBS_IMMEDIATE"):
            # The queue holds the jobs' arguments (names, ID numbers): the service account's alone.
            os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
            private_file(path)
    huey._immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    huey.storage = huey.create_storage()
    _apps[:] = [app]
    app.extensions["huey"] = huey


def backend_name() -> str:
    if huey.immediate:
        return "immediate"
    return "redis" if huey.storage_class is RedisStorage else "sqlite"


@contextmanager
def task_context():
    """A fresh application context (and so a fresh database session) for one task run."""
    app = current_app._get_current_object() if has_app_context() else _apps[0]
    with app.app_context():
        yield app
