"""The statistics page's figures as rendered HTML, kept by each process by the snapshot's
revision.

A snapshot's figures change only when its rows are written again, and each writing gives the
snapshot a new random revision (portal.stats.snapshots._store). So the HTML of its tables and
charts — most of the page's cost: reading a few hundred rows and writing them out — is the same
for every reader of that jurisdiction, year, page of units and query until then, and is kept
under a key naming all of them. A reader who may not see the jurisdiction is refused before
(snapshots.source); the filters row, the 重新计算 button and the rest of the page, which
depend on the reader, are rendered on each request. Pages computed now (filtered, a unit
reviewer's) are never kept.

Each app keeps the last KEPT pieces (the query string is the user's: the keys are not bounded
by the data), under a lock (a threaded server). Several processes each keep their own: they
agree because the revision is read from the database on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app, request
from markupsafe import Markup

from portal.jurisdictions import service as places
from portal.stats.models import StatsSnapshot

KEPT = 64
EXTENSION = "stats.rendered"


class Kept:
    """The last `size` rendered pieces by key, the least recently used dropped first."""

    def __init__(self, size: int = KEPT):
        self.size = size
        self.pieces: OrderedDict[tuple, Markup] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        with self.lock:
            piece = self.pieces.get(key)
            if piece is not None:
                self.pieces.move_to_end(key)
            return piece

    def put(self, key: tuple, piece: Markup) -> None:
        with self.lock:
            self.pieces[key] = piece
            self.pieces.move_to_end(key)
            while len(self.pieces) > self.size:
                self.pieces.popitem(last=False)


def init_app(app) -> None:
    app.extensions[EXTENSION] = Kept()


def key(snapshot: StatsSnapshot | None, page: int, args: dict, htmx: bool) -> tuple | None:
    """What the figures' HTML depends on: the snapshot's rows (its id and revision), the page
    of units, the query string (the pager's links keep it), whether htmx asked for the units
    alone, the path the app answers under, and whether the install names its counties. None
    for figures computed now."""
    if snapshot is None:
        return None
    return (
        snapshot.id,
        snapshot.revision,
        page,
        tuple(sorted(args.items())),
        htmx,
        request.script_root,
        places.is_single_county(),
    )


def kept(key: tuple | None, render: Callable[[], str]) -> Markup:
    """The HTML kept under `key`, or `render()`'s, kept for the next reader (never when the
    key is None)."""
    if key is None:
        return Markup(render())  # nosec B704 (a rendered template: Jinja escaped it)
    pieces: Kept = current_app.extensions[EXTENSION]
    piece = pieces.get(key)
    if piece is None:
        piece = Markup(render())  # nosec B704 (a rendered template: Jinja escaped it)
        pieces.put(key, piece)
    return piece
