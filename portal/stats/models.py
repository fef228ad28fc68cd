"""The statistics snapshot: the figures of one jurisdiction (a county, or a city or province
summed from its counties) for one year, computed by a job (nightly, after a registration batch,
on the bureau's request) so that the pages read them instead of adding them up on each request.

A snapshot is its rows: the overall row, and each table of the page (by unit, unit type, title
series, level, authority, kind, form; a city's also by county) one row a line, in the order the
page shows them (`position`), so that a page of units is read a page at a time."""

from datetime import datetime
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import UTCDateTime


class StatsSnapshot(db.Model):
    __tablename__ = "stats_snapshot"
    __table_args__ = (sa.UniqueConstraint("jurisdiction_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(sa.ForeignKey("jurisdiction.code"))
    year: Mapped[int] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    units: Mapped[int] = mapped_column(default=0)  # rows of the unit table (its pager)
    # A new random token each time the rows are written (portal.stats.snapshots._store): the
    # pages keep their rendered figures by it (portal.stats.rendered), and a token is never
    # reused, not even by another database or a recompute in the same instant.
    revision: Mapped[str] = mapped_column(sa.String(32), default=lambda: uuid4().hex)
    rows: Mapped[list["StatsRow"]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<StatsSnapshot {self.jurisdiction_code} {self.year} {self.computed_at}>"


class StatsRow(db.Model):
    """One line of a snapshot's table (`grouping`: overall, county, unit, unit_type, series, level,
    authority, kind, form). People's tables use people…professional; the content tables claims,
    people (declarations), general and professional."""

    __tablename__ = "stats_row"
    __table_args__ = (
        sa.Index("ix_stats_row_snapshot_grouping", "snapshot_id", "grouping", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("stats_snapshot.id", ondelete="CASCADE"))
    grouping: Mapped[str] = mapped_column(sa.String(12))
    position: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(sa.String(40))
    label: Mapped[str] = mapped_column(sa.String(200))
    clause: Mapped[str] = mapped_column(sa.String(40), default="")
    people: Mapped[int] = mapped_column(default=0)
    declared: Mapped[int] = mapped_column(default=0)
    registered: Mapped[int] = mapped_column(default=0)
    compliant: Mapped[int] = mapped_column(default=0)
    claims: Mapped[int] = mapped_column(default=0)
    general: Mapped[int] = mapped_column(default=0)
    professional: Mapped[int] = mapped_column(default=0)
    snapshot: Mapped[StatsSnapshot] = relationship(back_populates="rows")
