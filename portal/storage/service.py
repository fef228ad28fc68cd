"""Disk full or read-only instance: recognise the failure, keep the portal readable, warn staff.

(Where the files are kept — the instance folder or an object store — is portal.storage.files.)

A write that fails because the database or the instance folder cannot be written (SQLite
"database or disk is full" or "attempt to write a readonly database", PostgreSQL disk_full or
read_only_sql_transaction, ENOSPC/EROFS/EDQUOT, a permission refused inside the instance
folder, or the object store unreachable or refusing) is answered with `MESSAGE` and HTTP 503; the request's changes are rolled back (evidence
files written by it are removed on rollback, see declarations.evidence). Pages that only read go
on working, and so does a login: what it could not record is left out.

`state()` is the cheap check behind the staff banner: free space of the instance folder against
the setting STORAGE_MIN_FREE_BYTES, and a probe file written and removed in the instance and
evidence folders; it runs at most every STORAGE_CHECK_SECONDS per process, and a failed write
marks the condition at once.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, request

from portal.extensions import db
from portal.settings import get_setting
from portal.storage.files import StoreUnavailable

MESSAGE = "系统存储空间不足或只读，暂时无法保存，请联系管理员。"
UNAVAILABLE = 503

_SQLITE_MESSAGES = (
    "database or disk is full",
    "attempt to write a readonly database",
    "disk i/o error",
)
_PG_STATES = {"53100", "25006"}  # disk_full, read_only_sql_transaction
_FULL_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}
_DENIED_ERRNOS = {errno.EACCES, errno.EPERM}
_KEY = "storage_state"


@dataclass(frozen=True)
class State:
    writable: bool
    free_bytes: int | None
    low: bool
    checked_at: float

    @property
    def problem(self) -> bool:
        return self.low or not self.writable


def _causes(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__


def _inside_instance(filename) -> bool:
    """The path lies in one of the folders the portal writes its data to."""
    if not filename:
        return False
    path = os.path.realpath(os.fsdecode(filename))
    for folder in map(os.path.realpath, _folders()):
        if path == folder or path.startswith(folder + os.sep):
            return True
    return False


def is_storage_error(error: BaseException) -> bool:
    """The write failed because the database or the instance folder cannot be written."""
    for cause in _causes(error):
        if isinstance(cause, sqlite3.OperationalError):
            text = str(cause).lower()
            if any(message in text for message in _SQLITE_MESSAGES):
                return True
        if getattr(cause, "sqlstate", None) in _PG_STATES:
            return True
        if isinstance(cause, StoreUnavailable):  # the object store (portal.storage.files)
            return True
        if isinstance(cause, OSError):
            if cause.errno in _FULL_ERRNOS:
                return True
            if cause.errno in _DENIED_ERRNOS and _inside_instance(cause.filename):
                return True
    return False


def _folders() -> list[str]:
    folders = [current_app.instance_path, current_app.config["UPLOAD_FOLDER"]]
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if database.startswith("sqlite:///") and not database.endswith(":memory:"):
        folders.append(os.path.dirname(os.path.abspath(database.removeprefix("sqlite:///"))))
    return list(dict.fromkeys(folders))


def _probe(folder: str) -> bool:
    """Write, sync and remove a small file: the only test that also holds for root and for a
    file system mounted read-only."""
    path = os.path.join(folder, f".write-probe-{os.getpid()}")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, b"1")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.unlink(path)
    except OSError:
        return False
    return True


def check() -> State:
    """Look now: free space below the threshold, and whether each folder can be written."""
    try:
        free = shutil.disk_usage(current_app.instance_path).free
    except OSError:
        free = None
    low = free is not None and free < int(get_setting("STORAGE_MIN_FREE_BYTES"))
    writable = all(_probe(folder) for folder in _folders() if os.path.isdir(folder))
    state_now = State(writable=writable, free_bytes=free, low=low, checked_at=time.monotonic())
    current_app.extensions[_KEY] = state_now
    return state_now


def state() -> State:
    """The last check, repeated when older than STORAGE_CHECK_SECONDS."""
    known = current_app.extensions.get(_KEY)
    seconds = current_app.config.get("STORAGE_CHECK_SECONDS", 60)
    if known is None or time.monotonic() - known.checked_at >= seconds:
        return check()
    return known


def mark_unwritable(error: BaseException) -> None:
    """A write just failed: show the banner now, not at the next check; logged for the admin."""
    current_app.logger.error("storage cannot be written: %s", error)
    known = current_app.extensions.get(_KEY)
    free = known.free_bytes if known is not None else None
    current_app.extensions[_KEY] = State(
        writable=False, free_bytes=free, low=known.low if known else False,
        checked_at=time.monotonic(),
    )  # fmt: skip


def commit_if_possible() -> bool:
    """Commit a record that should stand (an idle logout, a failed attempt) unless the storage
    cannot take it: then it is dropped, logged, and the request goes on read-only."""
    with unless_unwritable(db.session.commit) as write:
        pass
    return not write.failed


@dataclass
class Write:
    failed: bool = False


@contextmanager
def unless_unwritable(finish=None) -> Iterator[Write]:
    """Run the writes of the block, then `finish` (default: flush them). When the storage
    cannot take them they are rolled back and logged, and `.failed` tells the caller to go on
    read-only; any other error passes."""
    write = Write()
    try:
        yield write
        (finish or db.session.flush)()
    except Exception as error:
        if not is_storage_error(error):
            raise
        db.session.rollback()
        mark_unwritable(error)
        write.failed = True


def tolerant(view):
    """Mark a view whose answer stands although what it records cannot be saved (a login)."""
    view.storage_tolerant = True
    return view


def read_only_tolerant() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "storage_tolerant", False))
