"""Days the bureau enters itself, overriding chinesecalendar (or filling a year it lacks)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow


class WorkdayOverride(InJurisdiction, db.Model):
    __table_args__ = (sa.UniqueConstraint("jurisdiction_code", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def audit_name(self) -> str:
        return f"{self.day:%Y-%m-%d}（{'调为工作日' if self.is_workday else '调为休息日'}）"
