"""flask --app portal demo | create-admin"""

import click


@click.command("demo")
def demo():
    """Create the schema if needed and load the demo county."""


@click.command("create-admin")
def create_admin():
    """Create an admin account."""
