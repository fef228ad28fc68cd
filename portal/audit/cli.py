"""`flask --app portal audit verify|purge`: the audit chain's check and retention, as JSON."""

import json
import sys

import click
from flask.cli import AppGroup

from portal.audit import service
from portal.cli_support import needs_schema, refusals_exit
from portal.extensions import db

audit = AppGroup("audit", help="审计日志 (audit log): integrity check and retention.")


@audit.command("verify")
@needs_schema
def verify():
    """Walk the hash chain; JSON out, exit 1 when any event is altered, missing or stray."""
    report = service.verify()
    db.session.commit()
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    if not report.intact:
        click.echo(report.summary, err=True)
        sys.exit(1)


@audit.command("purge")
@click.option(
    "--months",
    type=int,
    default=None,
    help="保存期限（月，不少于6）；默认为系统设置“审计日志保存期限”",
)
@needs_schema
@refusals_exit
def purge(months):
    """Delete the events older than the retention period (audited; the chain stays checkable);
    checks the chain first and deletes nothing when it is broken (exit 1)."""
    from portal.settings import get_setting

    months = get_setting("AUDIT_RETENTION_MONTHS") if months is None else months
    if months < service.MIN_RETENTION_MONTHS:
        service.purge(months)  # refuses (exit 2) before anything is checked or changed
    report = service.verify()
    db.session.commit()
    if not report.intact:  # the old events may be the evidence: keep them
        click.echo(f"{report.summary}；未清理过期记录", err=True)
        sys.exit(1)
    deleted = service.purge(months)
    db.session.commit()
    click.echo(json.dumps({"months": months, "deleted": deleted}, ensure_ascii=False))
