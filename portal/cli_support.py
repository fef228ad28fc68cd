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


EXIT_BAD_INPUT = 2


def refusals_exit(command):
    """A refusal or bad input from a service: one Chinese line on stderr, exit 2, no trace."""
    from portal.refusal import Refusal

    @wraps(command)
    def wrapped(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Refusal as error:
            db.session.rollback()
            click.echo(f"错误：{error.message}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapped


def read_file(path: str) -> bytes:
    """The bytes of a file named on the command line; a refusal (exit 2) when it cannot be read."""
    from pathlib import Path

    from portal.refusal import INVALID, Refusal

    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise Refusal(f"无法读取文件“{path}”：{error.strerror}", INVALID) from None


def in_jurisdiction(command: click.Command) -> None:
    """Give a command (each command of a group) `--jurisdiction CODE`: it runs inside that
    county's or city's scope, as its officer would (the records it sees and lists, the settings,
    working days and number series it uses, the county of what it creates). Without it the
    command sees the whole instance, as before, and creates in the install's county."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            in_jurisdiction(sub)
        return
    if any(param.name == "jurisdiction" for param in command.params):
        return
    command.params.append(
        click.Option(
            ["--jurisdiction"],
            default=None,
            help="县或市的行政区划代码：只处理该县（市）的记录（默认：全部）",
        )
    )
    callback = command.callback

    @wraps(callback)
    def run(*args, jurisdiction=None, **kwargs):
        if jurisdiction is None or not schema_ready():
            return callback(*args, **kwargs)
        from portal.jurisdictions import scope
        from portal.jurisdictions import service as jurisdictions

        jurisdictions.forget()
        if jurisdictions.get(jurisdiction) is None:
            click.echo(f"错误：行政区划代码“{jurisdiction[:20]}”不在本系统中。", err=True)
            sys.exit(EXIT_BAD_INPUT)
        with scope.use(jurisdiction):
            return callback(*args, **kwargs)

    command.callback = run
