"""`flask --app portal stats --year 2025`: the year's statistics as JSON (the page's numbers)."""

import json

import click

from portal.cli_support import needs_schema, refusals_exit
from portal.stats import service


@click.command("stats")
@click.option("--year", type=int, required=True, help="统计年度，例如 2025")
@click.option(
    "--unit", "unit_id", type=int, default=None, help="只统计该单位（单位编号；0 为自由职业）"
)
@needs_schema
@refusals_exit
def stats(year, unit_id):
    """People, declared, registered, compliant, completion rate, hours; by unit, kind, form."""
    result = service.statistics(None, service.Filters(year, unit_id=unit_id))
    click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
