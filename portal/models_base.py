"""Column helpers shared by the domain models."""

from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# Set only by portal.clock.travel (the demo replays past years through the services).
_travelled_to: ContextVar[datetime | None] = ContextVar("travelled_to", default=None)


def json_rows(dialect: str, *columns: sa.ColumnElement) -> sa.ColumnElement:
    """An aggregate of a query's rows as one JSON array of [column, ...] arrays, to bring a
    handful of rows along with another statement (as a scalar subquery, typed sa.JSON): NULL
    on PostgreSQL, [] on SQLite when there are none. dialect: the database's (SQL differs)."""
    if dialect == "postgresql":
        return sa.func.json_agg(sa.func.json_build_array(*columns))
    return sa.func.json_group_array(sa.func.json_array(*columns))


def utcnow() -> datetime:
    """Now, in UTC: the one clock of every service and column default."""
    return _travelled_to.get() or datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC, the same on SQLite and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
