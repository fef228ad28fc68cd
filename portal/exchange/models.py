"""Keys of the systems that pull from /api/v1/ (the provincial hour system, title review)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.extensions import db
from portal.models_base import UTCDateTime, utcnow


class KeyScope(enum.StrEnum):
    """What a key may pull; personal data goes only to the scopes that need it."""

    REGISTRATIONS = "registrations"  # every registered year, full ID numbers (provincial system)
    PEOPLE = "people"  # one person's registered years, asked by ID number (title review)
    VERIFICATIONS = "verifications"  # one verification sheet by number, ID masked

    @property
    def label(self) -> str:
        return {
            "registrations": "年度登记数据（含完整身份证号码）",
            "people": "按身份证号码查询个人登记年度",
            "verifications": "按编号查询学时验证单（身份证号码打码）",
        }[self.value]


class ApiKey(db.Model):
    """One consumer's key. Only its SHA-256 is kept (the key is 256 random bits, shown once);
    `prefix` (the first characters) tells keys apart on the admin page and in the log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    scope: Mapped[KeyScope] = mapped_column(sa.Enum(KeyScope, native_enum=False, length=20))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def audit_name(self) -> str:
        return f"接口密钥“{self.name}”（{self.prefix}…）"
