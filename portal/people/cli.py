"""`flask --app portal people show ID_NUMBER`: a person's titles, employment and years as JSON;
`flask --app portal people mark-transition [--before DATE]`: the bulk 老人老办法 rule;
`flask --app portal people apply-moves`: confirmed employer changes whose date has come."""

import json

import click
from flask.cli import AppGroup

from portal.accounts import people as operations
from portal.cli_support import needs_schema, refusals_exit
from portal.extensions import db
from portal.people import service

people = AppGroup("people", help="专业技术人员 (people) over time.")


@people.command("show")
@needs_schema
@refusals_exit
@click.argument("id_number")
def show(id_number):
    """Print the person's record (ID number masked); exit 2 for an unknown or invalid number."""
    person = service.find_by_id_number(id_number)
    click.echo(json.dumps(service.person_record(person), ensure_ascii=False, indent=2))


@people.command("mark-transition")
@needs_schema
@refusals_exit
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=operations.TRANSITION_CUTOFF.isoformat(),
    show_default=True,
    help="Titles obtained before this day keep the old rules (seed 003).",
)
def mark_transition(before):
    """Mark everyone whose title was obtained before the day as 老人老办法; JSON counts out."""
    result = operations.mark_old_rules_by_title(None, before.date())
    db.session.commit()
    click.echo(json.dumps(result, ensure_ascii=False))


@people.command("apply-moves")
@needs_schema
@refusals_exit
def apply_moves():
    """Make the confirmed employer changes whose date has come (待生效); JSON count out."""
    moved = operations.apply_due_moves()
    db.session.commit()
    click.echo(json.dumps({"moved": moved}, ensure_ascii=False))
