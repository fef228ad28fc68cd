"""学时登记证书: a number once per person; every print gets its own verification code."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Professional
from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow


class Certificate(InJurisdiction, db.Model):
    __jurisdiction_from__ = ("professional",)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), unique=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)  # never changes (seed 002)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    professional: Mapped[Professional] = relationship()
    prints: Mapped[list["CertificatePrint"]] = relationship(
        back_populates="certificate", order_by="CertificatePrint.id"
    )

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name} 学时登记证书 {self.number}"


class CertificatePrint(db.Model):
    """One printed copy: what it recorded, verifiable by its code."""

    __scoped_through__ = ("certificate_id",)  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)  # short, typed by people
    # In the QR link: 128 random bits, so the full record is shown only to whoever holds the
    # paper (or the PDF); the short code alone shows less (portal.certificates.service).
    token: Mapped[str] = mapped_column(sa.String(40), unique=True)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Snapshot of the registered years printed: [{year, general, professional, total, ...}]
    content: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The bulk print job that made this copy: withdrawn when that job does not finish.
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id"), index=True)

    certificate: Mapped[Certificate] = relationship(back_populates="prints")

    @property
    def audit_name(self) -> str:
        """Never the verification code: whoever reads the log must not be able to use it."""
        return f"{self.certificate.audit_name} 打印件"


class CertificateLookup(db.Model):
    """One lookup of a certificate by its short code, counted per address for the limit
    (VERIFY_LIMIT_PER_HOUR). Not an audit event: looking is not a change; only a lookup
    refused by the limit is audited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(sa.String(45), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
