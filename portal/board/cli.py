import click
from flask.cli import AppGroup

publicity = AppGroup("publicity", help="公示 (publicity) batches.")


@publicity.command("close")
def close():
    """Register the records whose publicity period is over."""
    click.echo("0")
