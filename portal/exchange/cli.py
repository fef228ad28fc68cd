"""`flask --app portal export year [2025] [--since T] --format xlsx --out FILE`,
`flask --app portal import people FILE.xlsx`, `flask --app portal import registrations FILE`
and `flask --app portal api-keys ...`: the exchange from a script."""

import json
import sys

import click
from flask.cli import AppGroup

from portal.cli_support import EXIT_BAD_INPUT, needs_schema, read_file, refusals_exit
from portal.exchange import imports, keys, service
from portal.exchange.models import KeyScope
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions

export = AppGroup("export", help="导出数据（报送省学时管理系统）。")
import_ = AppGroup("import", help="导入名单。")


@export.command("year")
@click.argument("year", type=click.IntRange(2000, 2100), required=False)
@click.option("--since", "since", help="只导出此时间以后登记或变化的记录（ISO 8601，本地时间）")
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "json"]), default="xlsx", show_default=True
)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option(
    "--jurisdiction",
    default=None,
    help="县或市的行政区划代码（默认本县）；市：其各县的记录，每条带所属县的代码",
)
@needs_schema
@refusals_exit
def export_year(year, since, fmt, out, jurisdiction):
    """The year's registered records, or those registered or changed since a moment (format in
    portal/exchange/format.py), of a county or of a city's counties; prints a JSON summary."""
    moment = service.parse_since(since) if since is not None else None
    place = service.export_jurisdiction(jurisdiction)
    data = service.export_year(year, fmt, since=moment, jurisdiction=place.code)
    try:
        with open(out, "wb") as f:
            f.write(data)
    except OSError as error:
        db.session.rollback()
        click.echo(f"错误：无法写入文件 {out}：{error.strerror}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    db.session.commit()
    summary = {
        "year": year,
        "since": moment.isoformat(timespec="seconds") if moment else None,
        "jurisdiction": place.code,
        "format": fmt,
        "records": service.count_records(year, moment, jurisdictions.counties_of(place.code)),
        "out": out,
    }
    click.echo(json.dumps(summary, ensure_ascii=False))


@import_.command("people")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--clean-rows", is_flag=True, help="有错误时只导入无误的行（默认全部不导入）")
@needs_schema
@refusals_exit
def import_people(path, clean_rows):
    """People and units from the bureau's Excel roster; a JSON summary with what became of
    every row. A file with errors imports nothing (exit 1) unless --clean-rows."""
    summary = service.import_people(read_file(path), clean_rows=clean_rows)
    db.session.commit()  # the summary's audit event; nothing else when not applied
    click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
    if not summary.applied:
        sys.exit(1)


@import_.command("registrations")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只显示将要导入的年度，不导入")
@needs_schema
@refusals_exit
def import_registrations(path, dry_run):
    """Years registered by another county, from its exchange file (JSON, format 2): prints what
    it would add and what it leaves out (never a year this county has), then adds them."""
    plan = imports.plan(imports.read_document(read_file(path)), service.county())
    summary = plan.as_json()
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    if dry_run:
        db.session.rollback()
        return
    added = imports.apply(plan)
    db.session.commit()
    click.echo(json.dumps({"added": len(added), "skipped": len(plan.skipped)}, ensure_ascii=False))


api_keys = AppGroup("api-keys", help="数据接口（/api/v1/）的使用方密钥。")


@api_keys.command("create")
@click.argument("name")
@click.option(
    "--scope", type=click.Choice([s.value for s in KeyScope]), required=True, help="密钥范围"
)
@needs_schema
@refusals_exit
def api_keys_create(name, scope):
    """A key for one consumer; the key is printed this once (only its hash is kept)."""
    key, secret = keys.create_key(None, name, scope)
    db.session.commit()
    click.echo(json.dumps({**keys.key_json(key), "key": secret}, ensure_ascii=False))


@api_keys.command("list")
@needs_schema
def api_keys_list():
    """Every key: number, name, scope, prefix, created, revoked, last used."""
    click.echo(
        json.dumps([keys.key_json(k) for k in keys.list_keys()], ensure_ascii=False, indent=2)
    )


@api_keys.command("revoke")
@click.argument("ident")
@needs_schema
@refusals_exit
def api_keys_revoke(ident):
    """Revoke a key (by number, name or prefix): its next pull gets 401."""
    key = keys.revoke_key(None, keys.find_key(ident))
    db.session.commit()
    click.echo(json.dumps(keys.key_json(key), ensure_ascii=False))
