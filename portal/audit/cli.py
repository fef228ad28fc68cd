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
    help="保存期限（月，不少于6；0 为永久保存）；默认为系统设置“审计日志保存期限”",
)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="说明已登记年度的记录清理前导出到此目录（默认 instance/audit-exports）",
)
@needs_schema
@refusals_exit
def purge(months, export_dir):
    """Delete the events older than the retention period (audited; the chain stays checkable);
    checks the chain first and deletes nothing when it is broken (exit 1)."""
    from portal.settings import get_setting

    months = get_setting("AUDIT_RETENTION_MONTHS") if months is None else months
    if not months:
        click.echo(json.dumps({"months": 0, "deleted": 0, "exported": None}))
        return
    if months < service.MIN_RETENTION_MONTHS:
        service.purge(months)  # refuses (exit 2) before anything is checked or changed
    report = service.verify()
    db.session.commit()
    if not report.intact:  # the old events may be the evidence: keep them
        click.echo(f"{report.summary}；未清理过期记录", err=True)
        sys.exit(1)
    deleted, exported = service.purge_with_export(months, export_dir=export_dir)
    db.session.commit()
    click.echo(
        json.dumps({"months": months, "deleted": deleted, "exported": exported}, ensure_ascii=False)
    )


# --- 三员分立: the auditors' accounts are the command line's (issue 23.6) ---------------------

_PASSWORD = click.option(
    "--password",
    prompt="密码 (password)",
    hide_input=True,
    confirmation_prompt="再次输入密码 (repeat)",
    help="至少8位，含大写字母、小写字母、数字、符号中的3类",
)


@audit.command("create-auditor")
@click.option("--username", prompt="用户名 (username)", help="登录用户名")
@click.option("--name", prompt="姓名 (name)", help="姓名")
@_PASSWORD
@needs_schema
@refusals_exit
def create_auditor(username, name, password):
    """Create a security auditor's account (the admin's pages cannot)."""
    from portal.accounts.models import Role
    from portal.admin.cli import create_staff_from_cli

    user = create_staff_from_cli(Role.AUDITOR, username, name, password)
    db.session.commit()
    click.echo(json.dumps({"created": user.username, "role": "auditor"}, ensure_ascii=False))


@audit.command("reset-auditor")
@click.option("--username", prompt="审计员用户名 (username)", help="安全审计员的用户名")
@_PASSWORD
@needs_schema
@refusals_exit
def reset_auditor(username, password):
    """Set a temporary password for a security auditor (clears a lock, ends the sessions)."""
    import sqlalchemy as sa

    from portal.accounts.models import Role, User
    from portal.accounts.service import password_problems
    from portal.admin.service import reset_password
    from portal.refusal import INVALID, Refusal

    user = db.session.scalar(sa.select(User).filter_by(username=username.strip()))
    if user is None or user.role is not Role.AUDITOR:
        raise Refusal(f"没有用户名为“{username}”的安全审计员", INVALID)
    if problems := password_problems(password, username=user.username):
        raise Refusal("密码不符合要求：" + "；".join(problems), INVALID)
    reset_password(None, user, password)
    db.session.commit()
    click.echo(json.dumps({"reset": user.username}, ensure_ascii=False))
