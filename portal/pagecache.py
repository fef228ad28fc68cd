"""A short-lived cache of public pages, per process and per app.

Two uses, one store (so one `clear()` empties both):
- views keep parts every visitor sees alike (the board's rows and pager) with get()/put();
- PublicPageCache, around the app's WSGI callable, answers a visitor who sends no cookie the very
  bytes the app last answered to the same URL, when the app marked that answer public
  (`Cache-Control: public, max-age=N`, no Set-Cookie): what a caching proxy in front would do,
  without Flask, the session or the database. A conditional request whose ETag matches gets 304.

Entries live BOARD_CACHE_SECONDS (60 by default; 0 turns the cache off), never longer than the
answer's own max-age nor past the (bureau's) day they were kept on.

Several processes (issue 24.7). Opening or closing a batch and deciding an objection call
`clear()`: it empties this process's store at once and, when the transaction commits, moves a
*generation* on that every process reads before it answers from its store; a process that sees
a generation other than the one its store was filled under empties it. So the change is on every
process's next request, whichever process (web server or job worker) made it. Entries are tagged
with the generation read *before* their page was computed, so a page rendered from the old data
while the change committed is never kept under the new generation. The generation lives:

- in Redis (key ``portal:page-cache-generation``, INCR) when REDIS_URL is set — the
  configuration that runs app servers on several machines (the jobs go through Redis then too).
  One GET per cached answer (a local round trip of some tens of microseconds) is the price of
  "the next request": a pub/sub message would cost nothing per request but arrives whenever it
  arrives (the next request may come first) and is lost silently while a connection is down.
  When Redis cannot be reached the store is bypassed (pages are rendered) rather than trusted.
- otherwise in a file (PAGE_CACHE_GENERATION_PATH, default instance/page-cache.generation) that
  every process of the machine shares: `clear()` appends one byte (O_APPEND: atomic, and the
  size only grows), the generation is the file's size, read with one os.stat() — about a
  microsecond, no read, no lock, no database round trip (a row in the database would cost the
  cached path a query, the very thing it exists to avoid). One machine is what a portal without
  Redis can run on anyway: its job queue is a SQLite file under instance/. The file is
  restarted (emptied) past a megabyte — a different size, so still a change.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import parse_etags, unquote_etag

from portal.clock import local_today
from portal.extensions import db

_KEY = "page_cache"
_GENERATION = "page_cache_generation"  # app.extensions: where this app's generation lives
_SEEN = "page_cache_seen"  # app.extensions: the generation the store was filled under
_ENVIRON = "portal.page_cache_generation"  # the generation read before this request's pages
_PENDING = "page_cache_cleared"  # session.info: move the generation on when this commits
MAX_ENTRIES = 500  # many distinct searches: start again rather than grow without bound
_MAX_AGE = re.compile(r"max-age=(\d+)")
REDIS_KEY = "portal:page-cache-generation"
FILE_LIMIT = 1 << 20  # bytes: the generation file starts again past this
log = logging.getLogger(__name__)


class FileGeneration:
    """The generation as the size of an append-only file shared by the machine's processes."""

    def __init__(self, path: str):
        self.path = path

    def current(self) -> int | None:
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0
        except OSError as error:  # not readable: the store cannot be trusted
            log.error("page cache generation %s unreadable: %s", self.path, error)
            return None

    def advance(self) -> None:
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            if (self.current() or 0) >= FILE_LIMIT:
                flags |= os.O_TRUNC
            descriptor = os.open(self.path, flags, 0o600)
            try:
                os.write(descriptor, b".")
            finally:
                os.close(descriptor)
        except OSError as error:  # a read-only instance: other processes catch up on expiry
            log.error("page cache generation %s not written: %s", self.path, error)


class RedisGeneration:
    """The generation as a counter in Redis, shared by every machine that uses that Redis.

    Each thread of each process keeps one connection of its own (made on first use, so after
    a server forks): a GET on it costs about a third of one through redis-py's pool."""

    def __init__(self, url: str, key: str = REDIS_KEY):
        import redis

        self._redis, self._errors = redis, redis.RedisError
        self.url, self.key = url, key
        self._local = threading.local()

    @property
    def client(self):
        made = getattr(self._local, "client", None)
        if made is None or self._local.pid != os.getpid():
            made = self._redis.Redis.from_url(
                self.url, single_connection_client=True, socket_timeout=1, socket_connect_timeout=1
            )
            self._local.client, self._local.pid = made, os.getpid()
        return made

    @client.setter
    def client(self, value) -> None:
        self._local.client, self._local.pid = value, os.getpid()

    def _drop(self) -> None:
        made = getattr(self._local, "client", None)
        self._local.client = None
        if made is not None:
            with contextlib.suppress(self._errors, OSError):
                made.close()

    def current(self) -> int | None:
        try:
            value = self.client.get(self.key)
        except self._errors as error:
            log.error("page cache generation: Redis unreachable: %s", error)
            self._drop()  # connect again next time
            return None  # unknown: render the page rather than answer from the store
        return int(value or 0)

    def advance(self) -> None:
        try:
            self.client.incr(self.key)
        except self._errors as error:
            log.error("page cache generation not moved on: Redis unreachable: %s", error)
            self._drop()


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL") or os.environ.get("REDIS_URL")
    if redis_url:
        generation = RedisGeneration(redis_url)
    else:
        generation = FileGeneration(
            app.config.get("PAGE_CACHE_GENERATION_PATH")
            or os.path.join(app.instance_path, "page-cache.generation")
        )
    app.extensions[_GENERATION] = generation


def _clock() -> float:
    return time.monotonic()


def _store(app: Flask | None = None) -> dict:
    return (app or current_app).extensions.setdefault(_KEY, {})


def _lifetime(app: Flask, max_age: int | None = None) -> float:
    seconds = app.config.get("BOARD_CACHE_SECONDS", 60)
    return seconds if max_age is None else min(seconds, max_age)


def generation(app: Flask) -> int | None:
    """The generation now; None when it cannot be known (nothing is then kept or answered)."""
    return app.extensions[_GENERATION].current()


def _request_generation(app: Flask) -> int | None:
    """The generation read first in this request (before its pages were computed)."""
    if not has_request_context():
        return generation(app)
    environ = request.environ
    if _ENVIRON not in environ:
        environ[_ENVIRON] = generation(app)
    return environ[_ENVIRON]


def _current_store(app: Flask, seen: int | None) -> dict | None:
    """The store, emptied first when the generation moved on since it was filled."""
    if seen is None:
        return None
    store = _store(app)
    if app.extensions.get(_SEEN) != seen:
        store.clear()
        app.extensions[_SEEN] = seen
    return store


def get(key: tuple, app: Flask | None = None, seen: int | None = None):
    app = app or current_app._get_current_object()
    store = _current_store(app, _request_generation(app) if seen is None else seen)
    entry = store.get(key) if store is not None else None
    if entry is None or entry[0] < _clock() or entry[1] != local_today():
        return None  # expired, or kept on another day (publicity periods move by the day)
    return entry[2]


def put(
    key: tuple, value, app: Flask | None = None, max_age: int | None = None,
    seen: int | None = None,
) -> None:  # fmt: skip
    """Keep `value`, computed after the generation `seen` (default: this request's) was read;
    not kept when the generation has moved on since."""
    app = app or current_app._get_current_object()
    seconds = _lifetime(app, max_age)
    seen = _request_generation(app) if seen is None else seen
    if seconds <= 0 or seen is None or app.extensions.get(_SEEN) != seen:
        return
    store = _store(app)
    if len(store) > MAX_ENTRIES:
        store.clear()
    store[key] = (_clock() + seconds, local_today(), value)


def clear() -> None:
    """Empty this process's store now, and every process's once the change commits (a change
    rolled back moves nothing; outside a transaction the generation moves on at once)."""
    app = current_app._get_current_object()
    _store(app).clear()
    session = db.session()
    if session.in_transaction():
        session.info[_PENDING] = app
    else:
        advance(app)


def advance(app: Flask) -> None:
    """Move the generation on: every process's next answer is computed afresh."""
    _store(app).clear()
    app.extensions[_GENERATION].advance()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    app = session.info.pop(_PENDING, None)
    if app is not None:
        advance(app)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def mark_public(response):
    """Mark a page that every visitor without a cookie sees alike as public (kept here and by
    any proxy for BOARD_CACHE_SECONDS), with its ETag; answers 304 when the client has it."""
    seconds = current_app.config.get("BOARD_CACHE_SECONDS", 60)
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.add_etag()
    return response.make_conditional(request)


class PublicPageCache:
    """WSGI middleware: see the module's docstring. Only GET and HEAD without a cookie or an
    Authorization header are looked up; only a GET's 200 marked public and setting no cookie is
    kept. Everything else passes straight to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if (
            method not in ("GET", "HEAD")
            or environ.get("HTTP_COOKIE")
            or environ.get("HTTP_AUTHORIZATION")
        ):
            return self.wsgi_app(environ, start_response)
        key = (
            "page",
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            # the answers Vary on these (portal.security.HTMX_HEADERS): a boosted or
            # history-restore request gets the whole page, a plain htmx one the fragment
            environ.get("HTTP_HX_REQUEST"),
            environ.get("HTTP_HX_BOOSTED"),
            environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST"),
        )
        seen = environ[_ENVIRON] = generation(self.app)
        kept = get(key, self.app, seen)
        if kept is not None:
            return self._answer(kept, environ, start_response, method)
        if method != "GET" or seen is None:
            return self.wsgi_app(environ, start_response)
        return self._fill(key, environ, start_response, seen)

    @staticmethod
    def _answer(kept, environ, start_response, method):
        status, headers, body, etag = kept
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if etag and wanted and parse_etags(wanted).contains(etag):
            start_response(
                "304 NOT MODIFIED",
                [(k, v) for k, v in headers if k.lower() in ("etag", "cache-control", "vary")],
            )
            return []
        start_response(status, headers)
        return [] if method == "HEAD" else [body]

    def _fill(self, key, environ, start_response, seen):
        answer = {}

        def remember(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, remember)
        max_age = _public_max_age(answer.get("status", ""), answer.get("headers", []))
        if max_age is None:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = answer["headers"]
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        kept = (answer["status"], headers, body, etag and unquote_etag(etag)[0])
        put(key, kept, self.app, max_age, seen)
        return [body]


def _public_max_age(status: str, headers: list[tuple[str, str]]) -> int | None:
    """max-age of a 200 the app marked public and that sets no cookie; None: do not keep."""
    if not status.startswith("200 "):
        return None
    names = {k.lower(): v for k, v in headers}
    if "set-cookie" in names:
        return None
    control = names.get("cache-control", "")
    if "public" not in control or "no-store" in control or "private" in control:
        return None
    match = _MAX_AGE.search(control)
    return int(match.group(1)) if match else None
