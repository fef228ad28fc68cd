"""The first use of a one-time form token and what it answered."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import UTCDateTime, utcnow


class FormToken(db.Model):
    """A create form's token, kept from its first use until it expires (FORM_TOKEN_HOURS):
    a repeat gets `location` (where the first answer sent the browser) or the first answer's
    fragment (`status`, `body`) instead of creating anything again."""

    nonce: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[int | None] = mapped_column()
    location: Mapped[str | None] = mapped_column(sa.String(2000))
    body: Mapped[str | None] = mapped_column(sa.Text)
