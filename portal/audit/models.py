"""Append-only audit log (等保 2.0): who did what, when, from where, with what outcome.

Every event is chained (portal.audit.chain): `seq` is its place in the chain, `prev_hash` the
previous event's `hash`, and `hash` an HMAC of its content and both, keyed with a secret kept
outside the database. AuditChain is the one row holding the chain's head and its anchor (the
hash before the oldest retained event, once older events have been purged).
"""

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
    # The chain (see portal.audit.chain); NULL only in a row not written by the portal.
    seq: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))


class AuditChain(db.Model):
    """The chain's head (last seq and hash) and anchor (where the retained chain starts)."""

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default="")
    anchor_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    anchor_hash: Mapped[str] = mapped_column(sa.String(64), default="")


class AuditRefusalWindow(db.Model):
    """Refused requests of one subject (user or address) and kind: when one was last written to
    the log, and how many since then were only counted (the flood limit of record_denied)."""

    subject: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    suppressed: Mapped[int] = mapped_column(default=0)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("the audit log is append-only")
