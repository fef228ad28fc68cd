"""The administrative divisions an instance serves: one county by default, a city of counties,
later a province. Every county-owned record carries its county's code (InJurisdiction)."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from portal.extensions import db


class JurisdictionLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"

    @property
    def label(self) -> str:
        return {"province": "省", "city": "市", "county": "县（市、区）"}[self.value]


class Jurisdiction(db.Model):
    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)  # GB/T 2260
    name: Mapped[str] = mapped_column(sa.String(50))
    level: Mapped[JurisdictionLevel] = mapped_column(
        sa.Enum(JurisdictionLevel, native_enum=False, length=10)
    )
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("jurisdiction.code"), index=True)
    bureau_name: Mapped[str] = mapped_column(
        sa.String(100), default=""
    )  # 某某县人力资源和社会保障局
    # A host name the county's public pages answer on (board, objections, /verify), if any.
    host: Mapped[str | None] = mapped_column(sa.String(100), unique=True)

    @property
    def audit_name(self) -> str:
        return f"{self.name}（{self.code}）"

    def __repr__(self) -> str:
        return f"<Jurisdiction {self.code} {self.name}>"


def _default_code() -> str:
    from portal.jurisdictions import scope

    return scope.home_county()


class InJurisdiction:
    """Mixin of the county-owned models: a `jurisdiction_code` column, and the criteria that
    scope.py adds to every ORM SELECT of them while a scope is set."""

    @declared_attr
    def jurisdiction_code(cls) -> Mapped[str]:
        return mapped_column(sa.ForeignKey("jurisdiction.code"), index=True, default=_default_code)


class FormerJurisdiction(db.Model):
    """A county a person's record was handed on from (a move to a unit of another county in the
    same instance): that county keeps seeing the person, marked 已调出, beside the years it
    registered (their declarations keep its code)."""

    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(
        sa.ForeignKey("jurisdiction.code"), primary_key=True, index=True
    )
    left_on: Mapped[date] = mapped_column(sa.Date)
