"""Jobs: submit long work to the queue, run it with progress, keep its result file; the
periodic schedule and its state (last run, next run, what it did).

A submitted job is enqueued only when the request's transaction commits (the consumer must find
its row); a rolled-back request enqueues nothing. A job's work may commit as it goes: every
progress report commits, so work that reports progress is a sequence of steps each of which
stands on its own (one certificate printed, one page of an export written).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import has_request_context
from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.audit.service import client_ip, on_behalf_of
from portal.clock import LOCAL_TZ
from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.jobs.queue import huey, task_context
from portal.models_base import utcnow
from portal.refusal import Refusal, not_found
from portal.storage import files

log = logging.getLogger(__name__)
_PENDING = "portal.jobs.pending"
REQUESTED_FROM = "requested_from"  # the job's parameter: the address of the page that asked

Work = Callable[[Job, "Progress"], str | None]


# --- submitting -----------------------------------------------------------------------------


def submit(user: User | None, kind: str, title: str, task, **params) -> Job:
    """A queued job for `task(job_id)`; enqueued when the session commits. Started from a
    page, it keeps the page's address: the worker audits what it does with it."""
    if has_request_context():
        params = {**params, REQUESTED_FROM: client_ip()}
    job = Job(kind=kind, title=title, created_by_id=user.id if user else None, params=params)
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append((task, job.id))
    return job


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    for task, job_id in session.info.pop(_PENDING, None) or ():
        task(job_id)


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- running --------------------------------------------------------------------------------


class Progress:
    """progress(done, total): record how far the job got (commits, unless the work holds its
    writes for one commit at the end: `progress.holding()`)."""

    def __init__(self, job: Job, commit: bool = True) -> None:
        self.job = job
        self.commit = commit

    def __call__(self, done: int, total: int | None = None) -> None:
        self.job.done = done
        if total is not None:
            self.job.total = total
        if self.commit:
            db.session.commit()

    def holding(self) -> Progress:
        """The same progress without its commits: work that writes as it goes and must be
        all-or-nothing (an import) commits once, when the job ends."""
        return Progress(self.job, commit=False)


# Per kind: what undoes the committed part of a job that did not finish (a bulk print's copies);
# it returns a sentence for the job's message, or None. Run in the failing job's session.
UNDO: dict[str, Callable[[Job], str | None]] = {}


def undo_on_failure(kind: str):
    def decorator(function):
        UNDO[kind] = function
        return function

    return decorator


def run(job_id: int, work: Work) -> None:
    """Run `work(job, progress)` for a queued job in a context of its own; it returns the
    one-line Chinese summary of what it did. Failures are recorded on the job, not raised; a
    failed job's committed part is undone (UNDO) and its upload is deleted however it ends."""
    with task_context():
        job = db.session.get(Job, job_id)
        if job is None or job.state.finished:
            return
        with on_behalf_of(job.params.get(REQUESTED_FROM)), job_scope(job):
            _run(job_id, job, work)


def job_scope(job: Job) -> contextlib.AbstractContextManager:
    """A job sees what the one who asked for it sees: a county officer's export holds the
    county's records, whichever process runs it. A periodic run of a county's work runs once
    per county (run_periodic), an instance's (backup, audit) unscoped, as do the jobs of the
    unscoped roles (the admin's, a professional's)."""
    from portal.jurisdictions import scope
    from portal.jurisdictions import service as jurisdictions

    creator = job.created_by
    periodic = SCHEDULE.get(job.kind) if creator is None else None
    if (
        jurisdictions.is_single_county()
        or (creator is not None and creator.role.value in scope.UNSCOPED_ROLES)
        or (periodic is not None and not periodic.per_county)
    ):
        return scope.unscoped()
    return scope.use(job.jurisdiction_code)


def _run(job_id: int, job: Job, work: Work) -> None:
    job.state = JobState.RUNNING
    job.started_at = utcnow()
    job.worker = worker_id()
    db.session.commit()
    try:
        message = work(job, Progress(job))
    except Exception as error:  # the job's page must say it failed, whatever went wrong
        db.session.rollback()
        if not isinstance(error, Refusal):
            log.exception("job %s failed", job_id)
        job = db.session.get(Job, job_id)
        _fail(job, error.message if isinstance(error, Refusal) else f"任务出错：{error}")
    else:
        job.state = JobState.DONE
        job.message = (message or "")[:500]
        job.finished_at = utcnow()
    finally:
        discard_upload(job)
    db.session.commit()


def _fail(job: Job, message: str) -> None:
    """Mark the job failed, undo what it committed, remove its partial result files."""
    undone = UNDO[job.kind](job) if job.kind in UNDO else None
    job.state = JobState.FAILED
    job.message = (message + (f"；{undone}" if undone else ""))[:500]
    job.finished_at = utcnow()
    job.result_file = ""
    _remove_result_files(job)


# --- the consumer's processes and the sweep --------------------------------------------------


def _start_time(pid: int) -> str:
    """When the process started (clock ticks since boot, from /proc), so a reused pid is not
    mistaken for the consumer that died; "" where /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def worker_id() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"[:100]


def _alive(worker: str) -> bool | None:
    """Is the consumer process named alive? None when it runs on another host (unknowable)."""
    host, _, rest = worker.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None if host and host != socket.gethostname() else False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process with this pid: it exists
    return _start_time(pid) == started


ABANDONED = "后台任务进程在执行中停止，任务未完成（启动后台任务进程时自动标为失败）"


def sweep() -> list[int]:
    """Fail the running jobs whose consumer process on this host is gone (killed, crashed,
    the machine restarted), undoing their committed part and deleting their uploads; audited.
    Run by every consumer as it starts (and by `flask jobs sweep`). Jobs of consumers on other
    hosts are left to those hosts' consumers. Commits; returns the ids failed."""
    from portal.audit.service import record

    failed = []
    running = db.session.scalars(sa.select(Job).where(Job.state == JobState.RUNNING)).all()
    for job in running:
        if _alive(job.worker) is not False:
            continue
        _fail(job, ABANDONED)
        discard_upload(job)
        record("job.abandoned", job, user=None, username="system", detail=job.message)
        failed.append(job.id)
    db.session.commit()
    return failed


# --- files: uploads waiting for their job, results ------------------------------------------
# In the file store's jobs area (portal.storage.files: instance/jobs, or the object store, so
# that a job worker on another machine reads the upload and any app server sends the result).


def store_upload(content: bytes, extension: str) -> str:
    """Keep an uploaded file for its job (job params' "upload"); deleted when the job ends."""
    stored = f"upload-{secrets.token_hex(12)}{extension}"
    files.store().put(files.JOBS, stored, content)
    return stored


def read_upload(job: Job) -> bytes:
    """The job's uploaded file, deleted as soon as it is read (and by run() in any case)."""
    try:
        return files.store().get(files.JOBS, job.params["upload"])
    finally:
        discard_upload(job)


def discard_upload(job: Job | None) -> None:
    name = (job.params or {}).get("upload") if job is not None else None
    if name and re.fullmatch(r"upload-[0-9a-f]{24}\.(xlsx|csv)", name):
        files.store().delete(files.JOBS, name)


def _remove_result_files(job: Job) -> None:
    """A failed job's files (a result written before the consumer died, an unmatched rows
    workbook): named "<job id>-…" in the jobs area."""
    store = files.store()
    for name in store.names(files.JOBS, f"{job.id}-"):
        store.delete(files.JOBS, name)


def save_file(stored: str, data: bytes) -> None:
    """Keep a file a job made (its name "<job id>-…", so that a failed job's go with it)."""
    files.store().put(files.JOBS, stored, data)


def save_result(job: Job, data: bytes, name: str) -> None:
    """Keep the job's result file (a generated name, in the jobs area) for download."""
    extension = os.path.splitext(name)[1]
    stored = f"{job.id}-{secrets.token_hex(8)}{extension}"
    save_file(stored, data)
    job.result_file = stored
    job.result_name = name


def has_result(job: Job) -> bool:
    return job.state is JobState.DONE and bool(job.result_file)


def send_stored(stored: str, **options):
    """A job's file streamed from the store; None when it is gone."""
    try:
        return files.store().send(files.JOBS, stored, **options)
    except FileNotFoundError:
        return None


def send_result(job: Job, **options):
    """The job's result file as a download; None when there is none (yet, or any more)."""
    if not has_result(job):
        return None
    return send_stored(
        job.result_file, as_attachment=True, download_name=job.result_name, **options
    )


# --- who sees a job -------------------------------------------------------------------------


def can_view(user: User, job: Job) -> bool:
    """The one who asked; the bureau for the system's (periodic) runs."""
    if not user.is_authenticated:
        return False
    if job.created_by_id is None:
        return user.role is Role.BUREAU_OFFICER
    return job.created_by_id == user.id


def get_job(user: User, job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not can_view(user, job):
        raise not_found("您要找的任务不存在或您无权查看。")
    return job


# --- the periodic schedule ------------------------------------------------------------------


@dataclass(frozen=True)
class Periodic:
    kind: str
    title: str
    when: str  # the schedule in words, for the officer's page
    validate: Callable[[datetime], bool]
    per_county: bool = False  # a county's work: one run (and Job) per county


SCHEDULE: dict[str, Periodic] = {}


def periodic(kind: str, title: str, when: str, per_county: bool = False, **cron: str):
    """Declare `work(job, progress)` a periodic task on the huey schedule (crontab fields in
    the bureau's time, whatever the server's zone); every run leaves a Job row, so its page
    shows the last run. `per_county`: a county's work (closing its publicity, reminding its
    people), run for each county in its scope, with its settings and working days."""

    def decorator(work: Work):
        validate = crontab(**cron)
        SCHEDULE[kind] = Periodic(kind, title, when, validate, per_county)

        def due(moment: datetime) -> bool:
            return validate(bureau_minute(moment))

        @huey.periodic_task(due, name=kind)
        def task():
            run_periodic(kind, work)

        task.work = work
        return task

    return decorator


def run_periodic(kind: str, work: Work) -> Job:
    """One run of a periodic task now (the consumer's schedule, or a test): a county's work
    once per county (the install's run is returned), an instance's once."""
    from portal.jurisdictions import service as jurisdictions

    with task_context():
        counties = [None]
        if SCHEDULE[kind].per_county and not jurisdictions.is_single_county():
            counties = [node.code for node in jurisdictions.counties()]
        jobs = [
            Job(kind=kind, title=SCHEDULE[kind].title, created_by_id=None, jurisdiction_code=code)
            for code in counties
        ]
        db.session.add_all(jobs)
        db.session.commit()
        ids = {job.jurisdiction_code: job.id for job in jobs}
        home = ids.get(jurisdictions.default_county(), jobs[0].id)
    for job_id in ids.values():
        run(job_id, work)
    with task_context():
        return db.session.get(Job, home)


def bureau_minute(moment: datetime) -> datetime:
    """huey's clock (naive UTC: the queue runs with utc=True) as the bureau reads it (naive)."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def next_run(entry: Periodic, now: datetime | None = None) -> datetime | None:
    """The next minute the crontab fires, in the bureau's time (naive), within 8 days. `now`:
    the bureau's time (naive) or any aware time; None: now."""
    now = now or utcnow()
    if now.tzinfo is not None:
        now = now.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return _next_run(entry, now.replace(second=0, microsecond=0))


@functools.lru_cache(maxsize=64)
def _next_run(entry: Periodic, minute: datetime) -> datetime | None:
    """Walks up to 8 days of minutes: the same for every page shown within one minute."""
    moment = minute + timedelta(minutes=1)
    for _ in range(8 * 24 * 60):
        if entry.validate(moment):
            return moment
        moment += timedelta(minutes=1)
    return None


@dataclass(frozen=True)
class ScheduleState:
    entry: Periodic
    last: Job | None
    next_run: datetime | None


@functools.lru_cache(maxsize=8)
def _last_jobs(kinds: tuple[str, ...]) -> sa.Select:
    """The last Job of each kind, by one query (each kind's highest id from the kind index);
    built once per list of kinds."""
    highest = [sa.select(sa.func.max(Job.id)).where(Job.kind == kind) for kind in kinds]
    return sa.select(Job).where(Job.id.in_(sa.union_all(*highest)))


def schedule_state(kinds: list[str] | None = None) -> list[ScheduleState]:
    """For each periodic task: its last run (a Job) and the next time it fires."""
    wanted = tuple(kind for kind in SCHEDULE if kinds is None or kind in kinds)
    last = {job.kind: job for job in db.session.scalars(_last_jobs(wanted))} if wanted else {}
    return [
        ScheduleState(SCHEDULE[kind], last.get(kind), next_run(SCHEDULE[kind])) for kind in wanted
    ]
