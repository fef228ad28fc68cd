"""Shared pieces of the command-line tools."""

import sys
from functools import wraps

import click
import sqlalchemy as sa

from portal.extensions import db

EXIT_NO_SCHEMA = 1
SCHEMA_MISSING = (
    "错误：数据库尚未初始化，请先运行 flask --app portal db upgrade（或 flask --app portal demo）"
    " / the database has no tables yet: run `flask --app portal db upgrade` first"
)


def schema_ready() -> bool:
    """Has the database been created (migrated) yet?"""
    return sa.inspect(db.engine).has_table("alembic_version") or sa.inspect(db.engine).has_table(
        "user"
    )


def needs_schema(command):
    """Fail with one clear line instead of a traceback when the database is still empty."""

    @wraps(command)
    def wrapped(*args, **kwargs):
        if not schema_ready():
            click.echo(SCHEMA_MISSING, err=True)
            sys.exit(EXIT_NO_SCHEMA)
        return command(*args, **kwargs)

    return wrapped
