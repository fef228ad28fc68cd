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

    @classmethod
    def of(cls, rows: list, page: int, per_page: int = PER_PAGE) -> Window:
        """The page of rows read with one more than a page holds (limit per_page + 1)."""
        return cls(rows[:per_page], page, per_page, len(rows) > per_page)


def window(query: sa.Select, page: int = 1, per_page: int = PER_PAGE, scalars=True) -> Window:
    """Rows of page `page` (1-based) of an ordered select (an index serves the order)."""
    page = max(1, page)
    limited = query.limit(per_page + 1).offset((page - 1) * per_page)
    result = db.session.scalars(limited) if scalars else db.session.execute(limited)
    rows = list(result.unique().all() if scalars else result.all())
    return Window.of(rows, page, per_page)


def paged(query: sa.Select) -> sa.Select:
    """The query limited by its `limit` and `offset` parameters (page size + 1 and the rows
    before the page): a statement built once keeps SQLAlchemy's cache key, computed once."""
    return query.limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))


def contains(column: sa.ColumnElement[str], name: str = "q") -> sa.ColumnElement[bool]:
    """SQL: the column contains the text of the parameter `name` (given by like_text), its
    % and _ matched as themselves: autoescape for a statement built once. The parameter is
    the whole pattern: built in SQL ('%' || q || '%'), PostgreSQL's generic plan of a
    prepared statement joined the strings again for every row it compared (a county's
    37,500 names: 13 ms instead of 5)."""
    return column.like(sa.bindparam(name, type_=sa.String), escape="/")


def like_text(text: str) -> str:
    """contains()' parameter: the pattern of the text anywhere, its LIKE wildcards escaped
    (as autoescape does)."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
