"""A short-lived cache of the rendered public board, per process and per app: whole pages for
visitors without a cookie, and the rows (with their pager) that every visitor sees alike.

Entries live BOARD_CACHE_SECONDS (60 by default); opening or closing a batch and deciding an
objection clear it at once in the process that did it (other processes catch up within the
lifetime of an entry)."""

from __future__ import annotations

import time

from flask import current_app

_KEY = "board_cache"


def _store() -> dict:
    return current_app.extensions.setdefault(_KEY, {})


def get(key: tuple) -> bytes | str | None:
    entry = _store().get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def put(key: tuple, body: bytes | str) -> None:
    seconds = current_app.config.get("BOARD_CACHE_SECONDS", 60)
    if seconds <= 0:
        return
    store = _store()
    if len(store) > 500:  # many distinct searches: start again rather than grow without bound
        store.clear()
    store[key] = (time.monotonic() + seconds, body)


def clear() -> None:
    _store().clear()
