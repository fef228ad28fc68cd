"""`flask --app portal people show ID_NUMBER`: a person's titles, employment and years as JSON."""

import json

import click
from flask.cli import AppGroup

from portal.cli_support import needs_schema, refusals_exit
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
