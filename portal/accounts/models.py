"""Accounts (people who log in) and the professionals' register."""

import enum
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction
from portal.models_base import UTCDateTime, utcnow
from portal.units.models import Authority, Provider, TitleLevel, TitleSeries, Unit


class Role(enum.StrEnum):
    PROFESSIONAL = "professional"
    UNIT_REVIEWER = "unit_reviewer"
    BUREAU_OFFICER = "bureau_officer"
    PROVIDER = "provider"
    ADMIN = "admin"
    AUDITOR = "auditor"
    CITY_OFFICER = "city_officer"  # 市人社局经办人: confirms senior-title verifications
    # 行业主管部门经办人: acts for one authority over the title series it owns.
    AUTHORITY_OFFICER = "authority_officer"
    # 省人社厅经办人（只读）: reads the figures of every county of the province, changes nothing.
    PROVINCE_VIEWER = "province_viewer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PROFESSIONAL: "专业技术人员",
    Role.UNIT_REVIEWER: "单位经办人",
    Role.BUREAU_OFFICER: "人社局经办人",
    Role.PROVIDER: "施教机构",
    Role.ADMIN: "系统管理员",
    Role.AUDITOR: "安全审计员",
    Role.CITY_OFFICER: "市人社局经办人",
    Role.AUTHORITY_OFFICER: "行业主管部门经办人",
    Role.PROVINCE_VIEWER: "省人社厅经办人（只读）",
}


class PersonStatus(enum.StrEnum):
    PENDING = "pending"  # self-registered, waiting for the unit (or bureau) to confirm
    CONFIRMED = "confirmed"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {"pending": "待确认", "confirmed": "已确认", "refused": "未通过"}[self.value]


def _new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(InJurisdiction, UserMixin, db.Model):
    __jurisdiction_from__ = ("unit", "professional")

    id: Mapped[int] = mapped_column(primary_key=True)
    # Professionals log in with their ID number; staff with a chosen user name.
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=20))
    name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))  # unit reviewers
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"))
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authority.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated at logout and on disabling: a replayed session cookie no longer matches.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=_new_session_token)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an administrator chose the password (new staff account, reset): the holder must
    # replace it before any other page opens (等保 2.0 identification).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    provider: Mapped[Provider | None] = relationship()
    authority: Mapped[Authority | None] = relationship()
    professional: Mapped["Professional | None"] = relationship(
        back_populates="user", foreign_keys="Professional.user_id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session(self) -> None:
        self.session_token = _new_session_token()

    @property
    def audit_name(self) -> str:
        """username（姓名）; record() masks a professional's ID-number username."""
        return f"{self.username}（{self.name}）"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Professional(InJurisdiction, db.Model):
    """专业技术人员: one row per person, with or without an account."""

    __jurisdiction_from__ = ("unit",)
    __table_args__ = (
        # A county's people in name order (a bureau's list and search on an instance of many
        # counties: people.service.people_of), without reading the other counties' names
        sa.Index("ix_professional_county_name", "jurisdiction_code", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(
        sa.String(18), unique=True
    )  # 居民身份证号码, upper-case X
    name: Mapped[str] = mapped_column(sa.String(50), index=True)
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("unit.id"), index=True
    )  # None: freelance
    title_series: Mapped[str] = mapped_column(sa.String(50), default="")  # 职称系列, e.g. 教师
    title_level: Mapped[str] = mapped_column(sa.String(20), default="")  # 正高/副高/中级/初级/员级
    title_name: Mapped[str] = mapped_column(sa.String(50), default="")  # e.g. 一级教师
    status: Mapped[PersonStatus] = mapped_column(
        sa.Enum(PersonStatus, native_enum=False, length=20), default=PersonStatus.PENDING
    )
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_note: Mapped[str] = mapped_column(sa.String(200), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    # 调入日期: came from another province (or a central unit); the province's rules apply from it.
    transfer_in_date: Mapped[date | None] = mapped_column(sa.Date)
    # 老人老办法 (seed 003): the bureau's mark that lets the person elect hefei-2021 in 2025–2030
    # while the transition itself is on (setting ALLOW_TRANSITION_RULE_SET); unmarked: new rules.
    keeps_old_rules: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The current unit: always the open employment period's (portal.accounts.people keeps it so).
    unit: Mapped[Unit | None] = relationship()
    titles: Mapped[list["PersonTitle"]] = relationship(
        back_populates="professional",
        order_by="(PersonTitle.obtained.desc(), PersonTitle.id.desc())",
        cascade="all, delete-orphan",
    )
    employments: Mapped[list["Employment"]] = relationship(
        back_populates="professional",
        order_by="(Employment.started_on, Employment.id)",
        cascade="all, delete-orphan",
    )
    user: Mapped[User | None] = relationship(back_populates="professional", foreign_keys=[user_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def freelance(self) -> bool:
        return self.unit_id is None

    @property
    def reviewed_by_bureau(self) -> bool:
        """004 第十四条: freelancers and non-public units go to the bureau."""
        return self.unit is None or self.unit.reviewed_by_bureau

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def audit_name(self) -> str:
        """姓名（单位）: never the ID number."""
        return f"{self.name}（{self.unit.name if self.unit else '自由职业'}）"

    def __repr__(self) -> str:
        return f"<Professional {self.id}>"


class PersonTitle(db.Model):
    """A title a person holds: series, level, 取得时间 and optionally 聘任时间 (starts the cycle)."""

    __scoped_through__ = ("professional_id",)  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("title_series.id"))
    level: Mapped[TitleLevel] = mapped_column(sa.Enum(TitleLevel, native_enum=False, length=20))
    name: Mapped[str] = mapped_column(sa.String(50), default="")  # e.g. 一级教师
    # None only for titles carried over from the registration form, whose date nobody entered.
    obtained: Mapped[date | None] = mapped_column(sa.Date)
    appointed: Mapped[date | None] = mapped_column(sa.Date)

    professional: Mapped[Professional] = relationship(back_populates="titles")
    series: Mapped[TitleSeries] = relationship()

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name} {self.series.name}{self.level.label}"


class Employment(db.Model):
    """任职/工作经历: a dated period of a person at a unit (None: freelance); to None is open."""

    __scoped_through__ = ("professional_id",)  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    started_on: Mapped[date] = mapped_column(sa.Date)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)

    professional: Mapped[Professional] = relationship(back_populates="employments")
    unit: Mapped[Unit | None] = relationship()

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit else "自由职业"

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name}（{self.unit_name}）"


def mask_id_number(value: str) -> str:
    """340102********123X → first 6 and last 4 kept; the only form shown beyond the owner."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*; for the public verification page."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


class LoginAttempt(db.Model):
    """One login attempt, kept in the database so that throttling works across processes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(sa.String(45), default="", index=True)
    username: Mapped[str] = mapped_column(sa.String(64), default="")  # redacted, for reading
    # HMAC of the typed name: counts failures of unknown names without storing them in clear.
    username_key: Mapped[str] = mapped_column(sa.String(32), default="", index=True)
    success: Mapped[bool] = mapped_column(default=False)
    # success | failure | lockout (the failure that locked) | refused (while locked)
    # | throttled (address over its limit) | disabled (right password, account disabled)
    outcome: Mapped[str] = mapped_column(sa.String(20), default="failure")


class MoveStatus(enum.StrEnum):
    PENDING = "pending"
    SCHEDULED = "scheduled"  # confirmed, takes effect on its date
    CONFIRMED = "confirmed"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {
            "pending": "待确认",
            "scheduled": "待生效",
            "confirmed": "已确认",
            "refused": "未通过",
        }[self.value]


class MoveRequest(db.Model):
    """工作单位变更: asked by the person (confirmed by the new unit's reviewer, the bureau for
    non-public employers and freelancers) or entered by the new unit (confirmed by the person,
    the old unit or the bureau). Confirmed, it makes the move on its date (待生效 until then)."""

    __scoped_through__ = (
        "professional_id",
        "unit_id",
    )  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    from_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("unit.id"), index=True
    )  # None: 自由职业
    started_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[MoveStatus] = mapped_column(
        sa.Enum(MoveStatus, native_enum=False, length=20), default=MoveStatus.PENDING
    )
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    professional: Mapped[Professional] = relationship()
    from_unit: Mapped[Unit | None] = relationship(foreign_keys=[from_unit_id])
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit else "自由职业"

    @property
    def from_unit_name(self) -> str:
        return self.from_unit.name if self.from_unit else "自由职业"

    @property
    def reviewed_by_bureau(self) -> bool:
        """Confirmed by whoever will review the person at the new unit (004 第十四条)."""
        return self.unit is None or self.unit.reviewed_by_bureau

    @property
    def asked_by_person(self) -> bool:
        return self.requested_by_id == self.professional.user_id

    @property
    def open(self) -> bool:
        """Not yet done: waiting for confirmation, or confirmed and waiting for its date."""
        return self.status in (MoveStatus.PENDING, MoveStatus.SCHEDULED)

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name}（{self.from_unit_name} → {self.unit_name}）"


class ActivationCode(db.Model):
    """A one-time activation code for an imported person (no account yet), handed out by their
    unit or the bureau. Only a keyed hash is stored; used once; expires."""

    __scoped_through__ = ("professional_id",)  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    professional: Mapped[Professional] = relationship()
    created_by: Mapped[User] = relationship()

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name} 激活码"


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    SUPERSEDED = "superseded"  # the person activated with a code from their unit

    @property
    def label(self) -> str:
        return {
            "pending": "待确认",
            "confirmed": "已确认",
            "refused": "未通过",
            "superseded": "已由本人凭激活码开通",
        }[self.value]


class RegistrationRequest(db.Model):
    """A self-registration with the ID number and name of a person the register already holds
    (imported by a unit or the bureau). What was typed waits here, and the record stays as it
    was, until the person's unit (or the bureau) says it is the person; the account it made
    sees nothing of the record until then."""

    __scoped_through__ = ("professional_id",)  # no county of its own: its parent's (scope.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))  # as typed
    works_since: Mapped[date | None] = mapped_column(sa.Date)
    title_series: Mapped[str] = mapped_column(sa.String(50), default="")
    title_level: Mapped[str] = mapped_column(sa.String(20), default="")
    title_name: Mapped[str] = mapped_column(sa.String(50), default="")
    status: Mapped[RegistrationStatus] = mapped_column(
        sa.Enum(RegistrationStatus, native_enum=False, length=20),
        default=RegistrationStatus.PENDING,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    professional: Mapped[Professional] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit else "自由职业"

    @property
    def audit_name(self) -> str:
        return f"{self.professional.name} 注册申请"
