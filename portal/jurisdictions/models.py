"""The administrative divisions an instance serves: one county by default, a city of counties,
later a province. Every county-owned record carries its county's code (InJurisdiction)."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

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
    scope.py adds to every ORM SELECT of them while a scope is set.

    A new record takes the county of the first record named in `__jurisdiction_from__` (its
    relationships, in order) that it has: a declaration its person's, a person their unit's.
    Without one (or a code given explicitly) it takes scope.home_county(): the acting account's
    county, the county of the public page (a freelancer's registration), the job's or the
    CLI's --jurisdiction, else the install's."""

    __jurisdiction_from__: tuple[str, ...] = ()

    @declared_attr
    def jurisdiction_code(cls) -> Mapped[str]:
        return mapped_column(sa.ForeignKey("jurisdiction.code"), index=True, default=_default_code)


def _county_of(session, record) -> str | None:
    mapper = sa.inspect(type(record))
    for name in type(record).__jurisdiction_from__:
        parent = getattr(record, name)  # a pending record does not load: None if not set
        if parent is not None:
            code = parent.jurisdiction_code or _county_of(session, parent)
        else:
            relation = mapper.relationships[name]
            (column,) = relation.local_columns
            key = getattr(record, mapper.get_property_by_column(column).key)
            target = relation.mapper.class_
            code = (
                key is not None
                and session.execute(
                    sa.select(target.jurisdiction_code)
                    .where(target.id == key)
                    .execution_options(all_jurisdictions=True)
                ).scalar()
            )
        if code:
            return code
    return None


@sa.event.listens_for(Session, "before_flush")
def _take_parents_county(session, _context, _instances) -> None:
    for record in list(session.new):
        if isinstance(record, InJurisdiction) and record.jurisdiction_code is None:
            record.jurisdiction_code = _county_of(session, record) or None


class FormerJurisdiction(db.Model):
    """A county a person's record was handed on from (a move to a unit of another county in the
    same instance): that county keeps seeing the person, marked 已调出, beside the years it
    registered (their declarations keep its code)."""

    professional_id: Mapped[int] = mapped_column(sa.ForeignKey("professional.id"), primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(
        sa.ForeignKey("jurisdiction.code"), primary_key=True, index=True
    )
    left_on: Mapped[date] = mapped_column(sa.Date)
