"""Reading units for the pages that let people choose one."""

import sqlalchemy as sa

from portal.extensions import db
from portal.units.models import Unit


def active_unit_choices() -> list[tuple[str, str]]:
    """(id as text, name) of every active unit, by name: the choices of a unit select."""
    rows = db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.active).order_by(Unit.name))
    return [(str(unit_id), name) for unit_id, name in rows]
