"""`flask --app portal workdays add DATE N`: the N-th working day strictly after DATE."""

import re
import sys
from datetime import date

import click
from flask.cli import AppGroup

from portal.cli_support import schema_ready
from portal.rules import calendar
from portal.workdays import service

EXIT_BAD_INPUT = 2

workdays = AppGroup("workdays", help="工作日历：按法定节假日、调休及本局录入的日期计算工作日。")


def _fail(message: str):
    click.echo(f"错误：{message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@workdays.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("args", metavar="DATE N", nargs=-1, type=click.UNPROCESSED)
def nth_workday_after(args):
    """`workdays add DATE N` computes a date and changes nothing: print the N-th working day strictly after DATE (YYYY-MM-DD), in ISO format.

    Uses chinesecalendar's holidays and make-up working days, overridden by the days the
    bureau entered; for a year the library does not know it still answers and warns on stderr.
    """
    if len(args) != 2:
        _fail("用法：flask --app portal workdays add YYYY-MM-DD N（需要日期和天数两个参数）")
    start, n = args
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", start):
            raise ValueError
        day = date.fromisoformat(start)
    except ValueError:
        _fail(f"日期“{start}”无效，应为 YYYY-MM-DD 格式的日期")
    if not re.fullmatch(r"[+-]?\d+", n.strip()):
        _fail(f"工作日天数“{n}”无效，应为正整数")
    count = int(n)
    if not 1 <= count <= 3660:
        _fail(f"工作日天数“{n}”无效，应为1至3660之间的整数")
    # Before the database exists there are no days entered by the bureau: the library alone answers.
    overrides = service.overrides() if schema_ready() else {}
    result, warnings = calendar.add_workdays(day, count, overrides)
    for warning in warnings:
        click.echo(f"警告：{warning}", err=True)
    click.echo(result.isoformat())
