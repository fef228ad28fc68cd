"""Employer units, industry authorities and training providers."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.jurisdictions.models import InJurisdiction


class UnitType(enum.StrEnum):
    INSTITUTION = "institution"  # 国有事业单位
    STATE_ENTERPRISE = "state_enterprise"  # 国有企业
    ORGAN = "organ"  # 机关
    PRIVATE_ENTERPRISE = "private_enterprise"  # 非公企业
    SOCIAL_ORG = "social_org"  # 社会团体

    @property
    def label(self) -> str:
        return UNIT_TYPE_LABELS[self]

    @property
    def reviewed_by_bureau(self) -> bool:
        """004 第十四条: non-public enterprises and social organisations are reviewed by the bureau."""
        return self in (UnitType.PRIVATE_ENTERPRISE, UnitType.SOCIAL_ORG)


UNIT_TYPE_LABELS = {
    UnitType.INSTITUTION: "国有事业单位",
    UnitType.STATE_ENTERPRISE: "国有企业",
    UnitType.ORGAN: "机关",
    UnitType.PRIVATE_ENTERPRISE: "非公企业",
    UnitType.SOCIAL_ORG: "社会团体",
}


class FirstReview(enum.StrEnum):
    """Who reviews a series' professional (专业) claims first when the bureau runs the yearly
    review in two steps (seed 003 五): its authority, or the person's unit."""

    AUTHORITY = "authority"
    UNIT = "unit"

    @property
    def label(self) -> str:
        return {"authority": "行业主管部门", "unit": "用人单位"}[self.value]


class Authority(db.Model):
    """行业主管部门: owns one or more title series (seed 002 annex)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)

    series: Mapped[list["TitleSeries"]] = relationship(
        back_populates="authority", order_by="TitleSeries.name"
    )

    @property
    def audit_name(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Authority {self.name}>"


class TitleLevel(enum.StrEnum):
    FULL_SENIOR = "full_senior"  # 正高
    DEPUTY_SENIOR = "deputy_senior"  # 副高
    INTERMEDIATE = "intermediate"  # 中级
    JUNIOR = "junior"  # 初级
    ASSISTANT = "assistant"  # 员级

    @property
    def label(self) -> str:
        return TITLE_LEVEL_LABELS[self]

    @classmethod
    def from_label(cls, label: str) -> "TitleLevel | None":
        return next((level for level, text in TITLE_LEVEL_LABELS.items() if text == label), None)


TITLE_LEVEL_LABELS = {
    TitleLevel.FULL_SENIOR: "正高",
    TitleLevel.DEPUTY_SENIOR: "副高",
    TitleLevel.INTERMEDIATE: "中级",
    TitleLevel.JUNIOR: "初级",
    TitleLevel.ASSISTANT: "员级",
}


class TitleSeries(db.Model):
    """职称系列 as one row of seed 002's annex (e.g. 经济、电子信息), owned by its authority."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authority.id"), index=True)
    # Two-step review: who checks the professional claims of people of this series first.
    first_review: Mapped[FirstReview] = mapped_column(
        sa.Enum(FirstReview, native_enum=False, length=10),
        default=FirstReview.AUTHORITY,
        server_default=FirstReview.AUTHORITY.name,  # enums are stored by name
    )

    authority: Mapped[Authority] = relationship(back_populates="series")

    @property
    def audit_name(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<TitleSeries {self.name}>"


class Unit(InJurisdiction, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)  # 统一社会信用代码
    type: Mapped[UnitType] = mapped_column(sa.Enum(UnitType, native_enum=False, length=30))
    county: Mapped[str] = mapped_column(sa.String(100), default="")
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authority.id"))
    active: Mapped[bool] = mapped_column(default=True)

    authority: Mapped[Authority | None] = relationship()

    @property
    def reviewed_by_bureau(self) -> bool:
        return self.type.reviewed_by_bureau

    @property
    def audit_name(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"


class ProviderLevel(enum.StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city"

    @property
    def label(self) -> str:
        return {"national": "国家级", "provincial": "省级", "city": "市级"}[self.value]


class Provider(db.Model):
    """继续教育基地 / 施教机构 (seed 001 附件1: name, telephone; the level of the base)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    category: Mapped[str] = mapped_column(sa.String(100), default="")
    contact: Mapped[str] = mapped_column(sa.String(50), default="")  # 联系人
    phone: Mapped[str] = mapped_column(sa.String(30), default="")  # 联系电话
    level: Mapped[ProviderLevel] = mapped_column(
        sa.Enum(ProviderLevel, native_enum=False, length=12), default=ProviderLevel.CITY
    )
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def audit_name(self) -> str:
        return self.name
