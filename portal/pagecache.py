"""A short-lived cache of public pages, per process and per app.

Two uses, one store (so one `clear()` empties both):
- views keep parts every visitor sees alike (the board's rows and pager) with get()/put();
- PublicPageCache, around the app's WSGI callable, answers a visitor who sends no cookie the very
  bytes the app last answered to the same URL, when the app marked that answer public
  (`Cache-Control: public, max-age=N`, no Set-Cookie): what a caching proxy in front would do,
  without Flask, the session or the database. A conditional request whose ETag matches gets 304.

Entries live BOARD_CACHE_SECONDS (60 by default; 0 turns the cache off), never longer than the
answer's own max-age nor past the (bureau's) day they were kept on. Opening or closing a batch and deciding an objection clear the store at once
in the process that did it (other processes catch up within the lifetime of an entry).
"""

from __future__ import annotations

import re
import time

from flask import Flask, current_app, request
from werkzeug.http import parse_etags, unquote_etag

from portal.clock import local_today

_KEY = "page_cache"
MAX_ENTRIES = 500  # many distinct searches: start again rather than grow without bound
_MAX_AGE = re.compile(r"max-age=(\d+)")


def _clock() -> float:
    return time.monotonic()


def _store(app: Flask | None = None) -> dict:
    return (app or current_app).extensions.setdefault(_KEY, {})


def _lifetime(app: Flask, max_age: int | None = None) -> float:
    seconds = app.config.get("BOARD_CACHE_SECONDS", 60)
    return seconds if max_age is None else min(seconds, max_age)


def get(key: tuple, app: Flask | None = None):
    entry = _store(app).get(key)
    if entry is None or entry[0] < _clock() or entry[1] != local_today():
        return None  # expired, or kept on another day (publicity periods move by the day)
    return entry[2]


def put(key: tuple, value, app: Flask | None = None, max_age: int | None = None) -> None:
    app = app or current_app._get_current_object()
    seconds = _lifetime(app, max_age)
    if seconds <= 0:
        return
    store = _store(app)
    if len(store) > MAX_ENTRIES:
        store.clear()
    store[key] = (_clock() + seconds, local_today(), value)


def clear() -> None:
    _store().clear()


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
        kept = get(key, self.app)
        if kept is not None:
            return self._answer(kept, environ, start_response, method)
        if method != "GET":
            return self.wsgi_app(environ, start_response)
        return self._fill(key, environ, start_response)

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

    def _fill(self, key, environ, start_response):
        seen = {}

        def remember(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, remember)
        max_age = _public_max_age(seen.get("status", ""), seen.get("headers", []))
        if max_age is None:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = seen["headers"]
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        put(key, (seen["status"], headers, body, etag and unquote_etag(etag)[0]), self.app, max_age)
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
