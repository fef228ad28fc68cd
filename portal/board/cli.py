"""`flask --app portal publicity close`: register the records whose publicity is over."""

import sys
from datetime import date

import click
from flask.cli import AppGroup

from portal.board import service
from portal.cli_support import needs_schema, refusals_exit
from portal.extensions import db

publicity = AppGroup("publicity", help="公示 (publicity) batches.")


@publicity.command("close")
@needs_schema
@refusals_exit
@click.option(
    "--today", "today", metavar="YYYY-MM-DD", help="按此日期办结（测试用），默认北京时间今天"
)
def close(today):
    """Register every publicised record whose period ended before today and that no open
    objection holds back; close settled batches. Safe to run again and again (cron)."""
    day = None
    if today:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            click.echo(f"错误：日期“{today}”无效，应为 YYYY-MM-DD", err=True)
            sys.exit(2)
    summary = service.close_due(day)
    db.session.commit()
    for declaration in summary.held:
        click.echo(
            f"暂缓登记：申报#{declaration.id}（{declaration.professional.name}，"
            f"{declaration.year}年度）有未处理的异议 / held back: declaration "
            f"{declaration.id} has an open objection"
        )
    click.echo(summary.line())
