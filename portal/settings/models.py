"""System settings an admin may change at run time (over the config defaults)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

INSTANCE = ""  # the jurisdiction_code of an instance-wide value


class Setting(db.Model):
    """A saved value: instance-wide (jurisdiction_code ""), or a county's or a city's own for the
    settings that are per county (SettingSpec.per_county); see settings.service.get_setting."""

    jurisdiction_code: Mapped[str] = mapped_column(
        sa.String(6), primary_key=True, default=INSTANCE, server_default=INSTANCE
    )
    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(sa.JSON)
