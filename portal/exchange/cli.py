"""`flask --app portal export year 2025 --format xlsx --out FILE` and
`flask --app portal import people FILE.xlsx`: the provincial exchange from a script."""

import json
import sys

import click
from flask.cli import AppGroup

from portal.cli_support import EXIT_BAD_INPUT, needs_schema, refusals_exit
from portal.exchange import service
from portal.extensions import db

export = AppGroup("export", help="导出数据（报送省学时管理系统）。")
import_ = AppGroup("import", help="导入名单。")


@export.command("year")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "json"]), default="xlsx", show_default=True
)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
@needs_schema
@refusals_exit
def export_year(year, fmt, out):
    """The year's registered records (layout in README.md); prints a JSON summary."""
    data = service.export_year(year, fmt)
    try:
        with open(out, "wb") as f:
            f.write(data)
    except OSError as error:
        db.session.rollback()
        click.echo(f"错误：无法写入文件 {out}：{error.strerror}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    db.session.commit()
    count = len(service.year_records(year))
    click.echo(
        json.dumps({"year": year, "format": fmt, "records": count, "out": out}, ensure_ascii=False)
    )


@import_.command("people")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--clean-rows", is_flag=True, help="有错误时只导入无误的行（默认全部不导入）")
@needs_schema
@refusals_exit
def import_people(path, clean_rows):
    """People and units from the bureau's Excel roster; a JSON summary with what became of
    every row. A file with errors imports nothing (exit 1) unless --clean-rows."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        click.echo(f"错误：无法读取文件 {path}：{error.strerror}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    summary = service.import_people(data, clean_rows=clean_rows)
    db.session.commit()  # the summary's audit event; nothing else when not applied
    click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
    if not summary.applied:
        sys.exit(1)
