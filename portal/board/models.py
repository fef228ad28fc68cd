"""Publicity batches (公示) and objections (异议)."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow


class PublicityBatch(InJurisdiction, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    start_date: Mapped[date] = mapped_column(sa.Date, index=True)
    end_date: Mapped[date] = mapped_column(
        sa.Date, index=True
    )  # inclusive: S..E holds 5 working days
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()
    declarations: Mapped[list["Declaration"]] = relationship(  # noqa: F821
        "Declaration", order_by="Declaration.id"
    )

    @property
    def audit_name(self) -> str:
        return self.title


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {"open": "待处理", "upheld": "异议成立", "dismissed": "异议不成立"}[self.value]


class Objection(db.Model):
    __scoped_through__ = ("declaration_id",)  # no county of its own: its parent's (scope.py)
    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(sa.ForeignKey("declaration.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    contact: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    status: Mapped[ObjectionStatus] = mapped_column(
        sa.Enum(ObjectionStatus, native_enum=False, length=20),
        default=ObjectionStatus.OPEN,
        index=True,
    )
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # 异议编号: given to the objector, who follows the objection on /board/objections/<reference>.
    reference: Mapped[str | None] = mapped_column(sa.String(20), unique=True)

    declaration: Mapped["Declaration"] = relationship("Declaration")  # noqa: F821
    decided_by: Mapped[User | None] = relationship()

    @property
    def audit_name(self) -> str:
        return f"对{self.declaration.audit_name}的异议"
