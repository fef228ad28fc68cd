"""A verification (学时验证) as issued: kept, never edited, superseded by a newer one."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Professional, User
from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow
from portal.units.models import TitleLevel, TitleSeries, Unit


class VerificationKind(enum.StrEnum):
    CYCLE = "cycle"  # a title application: the latest tenure cycle (seed 001 五(二))
    INTERNAL = "internal"  # an internal promotion: the latest 3 years (seed 000 五(四))

    @property
    def label(self) -> str:
        return {"cycle": "职称申报学时验证", "internal": "单位内部晋升学时核查"}[self.value]


class VerificationStatus(enum.StrEnum):
    ISSUED = "issued"
    SENT = "sent"  # a senior title's verification waiting for the city's confirmation
    CONFIRMED = "confirmed"  # confirmed by the city (复核通过)
    RETURNED = "returned"  # returned by the city with a reason

    @property
    def label(self) -> str:
        return {
            "issued": "已出具",
            "sent": "待市人社局复核",
            "confirmed": "市人社局复核通过",
            "returned": "市人社局退回",
        }[self.value]


SENIOR_LEVELS = (TitleLevel.FULL_SENIOR, TitleLevel.DEPUTY_SENIOR)


class Verification(InJurisdiction, db.Model):
    __jurisdiction_from__ = ("professional", "unit")
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)  # 验证单编号
    # The public check code printed as a QR code: 128 bits or more, never shown in the log.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[VerificationKind] = mapped_column(
        sa.Enum(VerificationKind, native_enum=False, length=10)
    )
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("title_series.id"))
    level: Mapped[TitleLevel] = mapped_column(sa.Enum(TitleLevel, native_enum=False, length=20))
    application_year: Mapped[int]
    first_year: Mapped[int]
    last_year: Mapped[int]
    cross_major: Mapped[bool] = mapped_column(default=False)
    # What was verified and found, as printed: years with sources, the `rules cycle` output,
    # the policy, the person (ID masked), the title and the verifying body.
    content: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ok: Mapped[bool]
    # The verifying body: the unit for an internal promotion, else the bureau (unit_id None).
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("verification.id"))
    # City confirmation (复核) of a senior title's verification
    status: Mapped[VerificationStatus] = mapped_column(
        sa.Enum(VerificationStatus, native_enum=False, length=20),
        default=VerificationStatus.ISSUED,
        index=True,
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    city_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    city_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    city_note: Mapped[str] = mapped_column(sa.String(500), default="")

    professional: Mapped[Professional] = relationship()
    series: Mapped[TitleSeries] = relationship()
    unit: Mapped[Unit | None] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    city_by: Mapped[User | None] = relationship(foreign_keys=[city_by_id])
    superseded_by: Mapped["Verification | None"] = relationship(remote_side=[id])

    @property
    def superseded(self) -> bool:
        return self.superseded_by_id is not None

    @property
    def senior(self) -> bool:
        return self.level in SENIOR_LEVELS

    @property
    def title_text(self) -> str:
        return f"{self.series.name} {self.level.label}"

    @property
    def audit_name(self) -> str:
        """Never the check code: whoever reads the log must not be able to use it."""
        return f"{self.professional.name} 学时验证单 {self.number}"


# Once issued, what a verification says never changes; only its standing does (superseded,
# sent to and answered by the city).
FROZEN = (
    "number",
    "code",
    "kind",
    "professional_id",
    "series_id",
    "level",
    "application_year",
    "first_year",
    "last_year",
    "cross_major",
    "content",
    "ok",
    "unit_id",
    "issued_by_id",
    "issued_at",
)


@event.listens_for(Verification, "before_update")
def _refuse_edits(mapper, connection, target: Verification) -> None:
    state = sa.inspect(target)
    changed = [name for name in FROZEN if state.attrs[name].history.has_changes()]
    if changed:
        raise ValueError(f"an issued verification cannot be edited ({', '.join(changed)})")
