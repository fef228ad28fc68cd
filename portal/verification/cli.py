"""`flask --app portal verification show ID`: an issued verification as JSON."""

import json

import click
from flask.cli import AppGroup

from portal.cli_support import needs_schema, refusals_exit
from portal.extensions import db
from portal.refusal import not_found
from portal.verification import service
from portal.verification.models import Verification

verification = AppGroup("verification", help="学时验证 (cycle verification).")


@verification.command("show")
@needs_schema
@refusals_exit
@click.argument("ident")
def show(ident):
    """Print verification ID (or its number) as JSON; exit 2 when there is none."""
    found = None
    if ident.isdigit():
        found = db.session.get(Verification, int(ident))
    if found is None:
        found = db.session.scalar(db.select(Verification).filter_by(number=ident.upper()))
    if found is None:
        raise not_found(f"没有学时验证单“{ident[:40]}”。")
    click.echo(json.dumps(service.as_json(found), ensure_ascii=False, indent=2))
