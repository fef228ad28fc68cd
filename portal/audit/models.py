"""Append-only audit log (等保 2.0): who did what, when, from where, with what outcome."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)  # no FK: the log outlives accounts
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    role: Mapped[str] = mapped_column(sa.String(20), default="")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    action: Mapped[str] = mapped_column(sa.String(60), index=True)  # see audit.actions.ACTIONS
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    object_id: Mapped[str] = mapped_column(sa.String(40), default="")
    # The object in words when it happened ("王晓梅 2025年度申报"); empty in rows from before.
    object_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    outcome: Mapped[str] = mapped_column(sa.String(20), default="success")  # see audit.actions
    detail: Mapped[str] = mapped_column(sa.Text, default="")


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("the audit log is append-only")
