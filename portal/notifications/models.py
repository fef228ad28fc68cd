"""A notification: to whom, what, where to look (an endpoint and its arguments), when read."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import UTCDateTime, utcnow


class Notification(db.Model):
    __table_args__ = (sa.Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. declaration.approved
    text: Mapped[str] = mapped_column(sa.String(500))
    # The page it is about, resolved with url_for when shown (jobs have no request to build a URL).
    endpoint: Mapped[str] = mapped_column(sa.String(60), default="")
    args: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind}>"
