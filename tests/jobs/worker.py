"""A real `flask jobs worker` in its own process, for the tests that prove a queue backend."""

import subprocess
import sys
import time
from pathlib import Path

from portal.extensions import db
from portal.jobs.models import Job

ROOT = Path(__file__).resolve().parents[2]


def run_worker_until_finished(env: dict, kind: str, seconds: int = 60) -> tuple[Job | None, str]:
    """Start one worker with `env`, wait until a job of `kind` has finished (or the time is up),
    stop the worker; the job (None if it never appeared) and what the worker printed."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "portal", "jobs", "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + seconds
        job = None
        while time.monotonic() < deadline:
            db.session.rollback()
            job = db.session.scalar(db.select(Job).where(Job.kind == kind))
            if job is not None and job.state.finished:
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
    return job, output
