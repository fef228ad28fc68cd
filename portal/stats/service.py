"""Statistics for one year: people with a declaration, registered, compliant, completion rate
(达标率) against the people on record; hours by subject, content (kind and clause of 第十二条),
form (the category of the kind); by unit, unit type, title series and level, authority.

Definitions (the page, the Excel file and `flask stats` all come from `statistics()`):

- people: professionals on record (confirmed), in the scope and filters;
- declared: those of them with a submitted declaration of the year (any state after draft);
- registered: with the year's declaration registered; compliant: registered and meeting the
  year's requirement; completion rate = compliant / people;
- hours (general, professional): the registered declarations' approved hours;
- by kind / by form: the registered declarations' claims, each with its accepted hours (the
  reviewer's reduced hours, 0 when refused). These are claim hours before the yearly caps and
  highest-only choice, so their sum may exceed the registered totals.

Title series and level are the free-text fields of Professional until the title series model
arrives; the authority is the unit's (Unit.authority).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal import rules
from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.declarations.models import Claim, ClaimDecision, Declaration, DeclarationStatus
from portal.extensions import db
from portal.refusal import INVALID, Refusal, forbidden
from portal.units.models import Authority, Unit, UnitType

FREELANCE = "自由职业"
UNSET = "（未填写）"


@dataclass(frozen=True)
class Filters:
    year: int
    unit_id: int | None = None  # 0: freelancers
    unit_type: UnitType | None = None
    title_series: str = ""
    title_level: str = ""
    authority_id: int | None = None


@dataclass
class Row:
    """One line of a grouped table."""

    key: str
    label: str
    people: int = 0
    declared: int = 0
    registered: int = 0
    compliant: int = 0
    general: int = 0
    professional: int = 0

    @property
    def total(self) -> int:
        return self.general + self.professional

    @property
    def completion_rate(self) -> float:
        return round(self.compliant / self.people, 4) if self.people else 0.0

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "people": self.people,
            "declared": self.declared,
            "registered": self.registered,
            "compliant": self.compliant,
            "completion_rate": self.completion_rate,
            "general": self.general,
            "professional": self.professional,
            "total": self.total,
        }


@dataclass
class ContentRow:
    """Claims of one kind (or one form): how many, of how many people, accepted hours."""

    key: str
    label: str
    clause: str = ""
    claims: int = 0
    people: set = field(default_factory=set)
    general: int = 0
    professional: int = 0

    @property
    def total(self) -> int:
        return self.general + self.professional

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "clause": self.clause,
            "claims": self.claims,
            "people": len(self.people),
            "general": self.general,
            "professional": self.professional,
            "total": self.total,
        }


@dataclass
class Statistics:
    filters: Filters
    overall: Row
    by_unit: list[Row]
    by_unit_type: list[Row]
    by_series: list[Row]
    by_level: list[Row]
    by_authority: list[Row]
    by_kind: list[ContentRow]
    by_form: list[ContentRow]

    def as_json(self) -> dict:
        """The `flask stats` layout."""
        o = self.overall
        return {
            "year": self.filters.year,
            "people": o.people,
            "declared": o.declared,
            "registered": o.registered,
            "compliant": o.compliant,
            "completion_rate": o.completion_rate,
            "hours": {"general": o.general, "professional": o.professional, "total": o.total},
            "by_unit": [r.as_dict() for r in self.by_unit],
            "by_unit_type": [r.as_dict() for r in self.by_unit_type],
            "by_title_series": [r.as_dict() for r in self.by_series],
            "by_title_level": [r.as_dict() for r in self.by_level],
            "by_authority": [r.as_dict() for r in self.by_authority],
            "by_kind": [r.as_dict() for r in self.by_kind],
            "by_form": [r.as_dict() for r in self.by_form],
        }


def may_see_statistics(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.BUREAU_OFFICER, Role.UNIT_REVIEWER)


def scoped(user: User | None, filters: Filters) -> Filters:
    """A unit reviewer sees only their own unit, whatever the filters ask; None is the CLI
    (the bureau's operator on the server)."""
    if user is None or user.role is Role.BUREAU_OFFICER:
        return filters
    if user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        return Filters(
            filters.year,
            unit_id=user.unit_id,
            title_series=filters.title_series,
            title_level=filters.title_level,
        )
    raise forbidden("只有人社局经办人和单位经办人可以查看统计。")


def check_year(year: int) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Refusal(f"年度“{year}”无效，应为 2000–2100 之间的年份。", INVALID, field="year")
    return year


def _people_query(filters: Filters) -> sa.Select:
    query = (
        sa.select(Professional, Unit, Declaration)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
        .outerjoin(
            Declaration,
            sa.and_(
                Declaration.professional_id == Professional.id,
                Declaration.year == filters.year,
            ),
        )
        .where(Professional.status == PersonStatus.CONFIRMED)
        .order_by(Professional.id)
    )
    if filters.unit_id == 0:
        query = query.where(Professional.unit_id.is_(None))
    elif filters.unit_id:
        query = query.where(Professional.unit_id == filters.unit_id)
    if filters.unit_type is not None:
        query = query.where(Unit.type == filters.unit_type)
    if filters.title_series:
        query = query.where(Professional.title_series == filters.title_series)
    if filters.title_level:
        query = query.where(Professional.title_level == filters.title_level)
    if filters.authority_id:
        query = query.where(Unit.authority_id == filters.authority_id)
    return query


def _accepted(claim: Claim) -> int:
    if claim.decision is ClaimDecision.REFUSED:
        return 0
    if claim.decision is ClaimDecision.REDUCED and claim.accepted_hours is not None:
        return claim.accepted_hours
    return claim.hours


def _kind_spec(rule_set: str, kind: str):
    try:
        return rules.get_rule_set(rule_set).kind(kind)
    except (rules.RuleError, KeyError):
        return None


def _grouped(groups: dict[str, Row]) -> list[Row]:
    return sorted(groups.values(), key=lambda r: (-r.people, r.label))


def statistics(user: User | None, filters: Filters) -> Statistics:
    """The year's statistics in the user's scope (see the module's definitions)."""
    check_year(filters.year)
    filters = scoped(user, filters)
    authorities = dict(db.session.execute(sa.select(Authority.id, Authority.name)).all())
    keys: dict[str, Callable] = {
        "unit": lambda p, u: (str(u.id), u.name) if u else ("0", FREELANCE),
        "unit_type": lambda p, u: (u.type.value, u.type.label) if u else ("freelance", FREELANCE),
        "series": lambda p, u: (p.title_series, p.title_series or UNSET),
        "level": lambda p, u: (p.title_level, p.title_level or UNSET),
        "authority": lambda p, u: (
            (str(u.authority_id), authorities.get(u.authority_id, ""))
            if u and u.authority_id
            else ("", UNSET)
        ),
    }
    overall = Row("all", "合计")
    groups: dict[str, dict[str, Row]] = {name: {} for name in keys}
    registered_ids: list[int] = []
    for person, unit, declaration in db.session.execute(_people_query(filters)).all():
        rows = [overall]
        for name, key_of in keys.items():
            key, label = key_of(person, unit)
            rows.append(groups[name].setdefault(key, Row(key, label)))
        for row in rows:
            row.people += 1
        if declaration is None or declaration.status is DeclarationStatus.DRAFT:
            continue
        registered = declaration.status is DeclarationStatus.REGISTERED
        if registered:
            registered_ids.append(declaration.id)
        for row in rows:
            row.declared += 1
            if registered:
                row.registered += 1
                row.compliant += bool(declaration.compliant)
                row.general += declaration.general_hours or 0
                row.professional += declaration.professional_hours or 0
    by_kind: dict[str, ContentRow] = {}
    by_form: dict[str, ContentRow] = {}
    if registered_ids:
        claims = db.session.execute(
            sa.select(Claim, Declaration.rule_set, Declaration.professional_id)
            .join(Declaration, Claim.declaration_id == Declaration.id)
            .where(Declaration.id.in_(registered_ids))
            .order_by(Claim.id)
        ).all()
        for claim, rule_set, person_id in claims:
            spec = _kind_spec(rule_set, claim.kind)
            label = spec.label if spec else claim.kind
            category = spec.category if spec else claim.kind
            hours = _accepted(claim)
            for row in (
                by_kind.setdefault(
                    claim.kind, ContentRow(claim.kind, label, spec.clause if spec else "")
                ),
                by_form.setdefault(category, ContentRow(category, category)),
            ):
                row.claims += 1
                row.people.add(person_id)
                if claim.subject == "general":
                    row.general += hours
                else:
                    row.professional += hours
    order = lambda rows: sorted(rows.values(), key=lambda r: (-r.total, r.label))  # noqa: E731
    return Statistics(
        filters=filters,
        overall=overall,
        by_unit=_grouped(groups["unit"]),
        by_unit_type=_grouped(groups["unit_type"]),
        by_series=_grouped(groups["series"]),
        by_level=_grouped(groups["level"]),
        by_authority=_grouped(groups["authority"]),
        by_kind=order(by_kind),
        by_form=order(by_form),
    )


def filter_choices(user: User) -> dict:
    """What the filter row offers: units (the bureau only), types, series, levels, authorities."""
    series = db.session.scalars(
        sa.select(Professional.title_series).distinct().order_by(Professional.title_series)
    ).all()
    levels = db.session.scalars(
        sa.select(Professional.title_level).distinct().order_by(Professional.title_level)
    ).all()
    units = []
    if user.role is Role.BUREAU_OFFICER:
        units = db.session.execute(sa.select(Unit.id, Unit.name).order_by(Unit.name)).all()
    return {
        "units": units,
        "unit_types": list(UnitType),
        "series": [s for s in series if s],
        "levels": [v for v in levels if v],
        "authorities": db.session.execute(
            sa.select(Authority.id, Authority.name).order_by(Authority.name)
        ).all(),
    }
