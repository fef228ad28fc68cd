"""Reading units for the pages that let people choose one."""

import sqlalchemy as sa

from portal.extensions import db
from portal.units.models import Unit


def active_unit_choices() -> list[tuple[str, str]]:
    """(id as text, name) of every active unit, by name: the choices of a unit select.

    By the database's order of names (code points on SQLite, the collation on PostgreSQL);
    the register page adds a search box for long lists."""
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name).where(Unit.active).order_by(Unit.name, Unit.id)
    )
    return [(str(unit_id), name) for unit_id, name in rows]
