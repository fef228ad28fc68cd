"""Pages of a long list without counting the whole table: fetch one row more than a page holds
to know whether a next page exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from portal.extensions import db

PER_PAGE = 50


@dataclass
class Window:
    rows: list[Any] = field(default_factory=list)
    page: int = 1
    per_page: int = PER_PAGE
    has_next: bool = False

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1


def window(query: sa.Select, page: int = 1, per_page: int = PER_PAGE, scalars=True) -> Window:
    """Rows of page `page` (1-based) of an ordered select (an index serves the order)."""
    page = max(1, page)
    limited = query.limit(per_page + 1).offset((page - 1) * per_page)
    result = db.session.scalars(limited) if scalars else db.session.execute(limited)
    rows = list(result.unique().all() if scalars else result.all())
    return Window(rows[:per_page], page, per_page, len(rows) > per_page)


def picked_window(
    ids: sa.Select, query: sa.Select, page: int = 1, per_page: int = PER_PAGE, scalars=True
) -> Window:
    """Like window(), in two steps: `ids` (one key column, with the list's filters and order)
    picks the page's keys, sorting only narrow rows; `query` (the same order, the wide columns
    and the per-row extras such as counts) then reads those rows alone."""
    page = max(1, page)
    key = ids.selected_columns[0]
    picked = ids.limit(per_page + 1).offset((page - 1) * per_page).scalar_subquery()
    result = db.session.scalars(query.where(key.in_(picked))) if scalars else None
    if result is None:
        result = db.session.execute(query.where(key.in_(picked)))
    rows = list(result.unique().all() if scalars else result.all())
    return Window(rows[:per_page], page, per_page, len(rows) > per_page)
