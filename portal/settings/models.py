"""System settings an admin may change at run time (over the config defaults)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class Setting(db.Model):
    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(sa.JSON)
