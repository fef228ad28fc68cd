"""Statistics for one year: people with a declaration, registered, compliant, completion rate
(达标率) against the people on record; hours by subject, content (kind and clause of 第十二条),
form (the category of the kind); by unit, unit type, title series and level, authority.

Definitions (the page, the Excel file and `flask stats` all come from `statistics()`):

- people: professionals on record (confirmed), in the scope and filters;
- declared: those of them with a submitted declaration of the year (any state after draft);
- registered: with the year's declaration registered; compliant: registered and meeting the
  year's requirement; completion rate = compliant / people;
- hours (general, professional): the registered declarations' approved hours;
- by kind / by form: the registered declarations' claims, each with the hours it counted for in
  the declaration's totals (`Claim.counted_general` / `counted_professional`, written when the
  declaration was approved: after the reviewer's decision, the yearly caps and the highest-only
  choice). The sum over kinds is the registered hours. Claims approved before those columns
  existed are evaluated again here by the rules engine, the same way.
- title series, level and authority: the person's title valid in the statistics year
  (`PersonTitle`): among the titles obtained by 31 December of the year the latest (then the
  last entered); a title without a date (carried over from the registration form) counts only
  when no dated title does. The authority is the title series' (`TitleSeries.authority`).
  People without such a title are counted under 未填写职称.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal import rules
from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.accounts.people import title_in_year
from portal.declarations.models import Claim, Declaration, DeclarationSource, DeclarationStatus
from portal.declarations.paper import PAPER_KIND
from portal.declarations.service import highest_only_scope
from portal.extensions import db
from portal.refusal import INVALID, Refusal, forbidden
from portal.units.models import Authority, TitleLevel, TitleSeries, Unit, UnitType

FREELANCE = "自由职业"
NO_TITLE = "未填写职称"
UNSPLIT = "未能分项"
PAPER = "纸质证书录入（未分内容、形式）"


@dataclass(frozen=True)
class Filters:
    year: int
    unit_id: int | None = None  # 0: freelancers
    unit_type: UnitType | None = None
    series_id: int | None = None  # 0: people without a title in the year
    title_level: TitleLevel | None = None
    authority_id: int | None = None  # the title series' authority


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
    """Claims of one kind (or one form): how many counted, of how many people, counted hours."""

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
            series_id=filters.series_id,
            title_level=filters.title_level,
            authority_id=filters.authority_id,
        )
    raise forbidden("只有人社局经办人和单位经办人可以查看统计。")


def check_year(year: int) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Refusal(f"年度“{year}”无效，应为 2000–2100 之间的年份。", INVALID, field="year")
    return year


def _people_query(filters: Filters) -> sa.Select:
    """One row per person on record in the filters: unit, title of the year, the declaration."""
    title = title_in_year(filters.year)
    query = (
        sa.select(
            Professional.id,
            Professional.unit_id,
            Unit.type,
            title.c.series_id,
            title.c.level,
            title.c.authority_id,
            Declaration.id,
            Declaration.status,
            Declaration.compliant,
            Declaration.general_hours,
            Declaration.professional_hours,
        )
        .outerjoin(Unit, Professional.unit_id == Unit.id)
        .outerjoin(title, title.c.professional_id == Professional.id)
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
    if filters.series_id == 0:
        query = query.where(title.c.series_id.is_(None))
    elif filters.series_id:
        query = query.where(title.c.series_id == filters.series_id)
    if filters.title_level is not None:
        query = query.where(title.c.level == filters.title_level)
    if filters.authority_id:
        query = query.where(title.c.authority_id == filters.authority_id)
    return query


def _kind_spec(rule_set: str, kind: str):
    try:
        return rules.get_rule_set(rule_set).kind(kind)
    except (rules.RuleError, KeyError):
        return None


def _grouped(groups: dict[str, Row]) -> list[Row]:
    return sorted(groups.values(), key=lambda r: (r.key == "", -r.people, r.label))


_LEVEL_ORDER = {level.value: i for i, level in enumerate(TitleLevel)}


def _names(model, ids: set) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all())


def statistics(user: User | None, filters: Filters) -> Statistics:
    """The year's statistics in the user's scope (see the module's definitions)."""
    check_year(filters.year)
    filters = scoped(user, filters)
    rows = db.session.execute(_people_query(filters)).all()
    units = _names(Unit, {r[1] for r in rows})
    series = _names(TitleSeries, {r[3] for r in rows})
    authorities = _names(Authority, {r[5] for r in rows})
    keys: dict[str, Callable] = {
        "unit": lambda r: (str(r[1]), units[r[1]]) if r[1] else ("0", FREELANCE),
        "unit_type": lambda r: (r[2].value, r[2].label) if r[2] else ("freelance", FREELANCE),
        "series": lambda r: (str(r[3]), series[r[3]]) if r[3] else ("", NO_TITLE),
        "level": lambda r: (r[4].value, r[4].label) if r[4] else ("", NO_TITLE),
        "authority": lambda r: (str(r[5]), authorities[r[5]]) if r[5] else ("", NO_TITLE),
    }
    overall = Row("all", "合计")
    groups: dict[str, dict[str, Row]] = {name: {} for name in keys}
    registered_years: dict[int, tuple[int, int, int]] = {}  # id: (person, general, professional)
    for row in rows:
        declaration_id, status, compliant, general, professional = row[6:11]
        targets = [overall]
        for name, key_of in keys.items():
            key, label = key_of(row)
            targets.append(groups[name].setdefault(key, Row(key, label)))
        for target in targets:
            target.people += 1
        if declaration_id is None or status is DeclarationStatus.DRAFT:
            continue
        registered = status is DeclarationStatus.REGISTERED
        if registered:
            registered_years[declaration_id] = (row[0], general or 0, professional or 0)
        for target in targets:
            target.declared += 1
            if registered:
                target.registered += 1
                target.compliant += bool(compliant)
                target.general += general or 0
                target.professional += professional or 0
    by_kind, by_form = _content(registered_years)
    order = lambda rows: sorted(rows.values(), key=lambda r: (-r.total, r.label))  # noqa: E731
    return Statistics(
        filters=filters,
        overall=overall,
        by_unit=_grouped(groups["unit"]),
        by_unit_type=_grouped(groups["unit_type"]),
        by_series=_grouped(groups["series"]),
        by_level=sorted(
            groups["level"].values(), key=lambda r: _LEVEL_ORDER.get(r.key, len(_LEVEL_ORDER))
        ),
        by_authority=_grouped(groups["authority"]),
        by_kind=order(by_kind),
        by_form=order(by_form),
    )


# --- hours by content and form: each claim's part of the registered totals --------------------


def _evaluated_shares(
    declaration: Declaration, claims: list[Claim], scope: str
) -> dict[int, tuple[int, int]]:
    """Each claim's part of the approved totals, for a declaration approved before the parts
    were stored: the rules engine again on the reviewer's decisions, as approval does (a work
    counted in another declaration is not looked up here). {} when the engine refuses them."""
    if declaration.source is DeclarationSource.PAPER:
        return {
            c.id: (declaration.general_hours or 0, declaration.professional_hours or 0)
            if i == 0
            else (0, 0)
            for i, c in enumerate(claims)
        }
    try:
        year = rules.evaluate_year(
            rules.get_rule_set(declaration.rule_set),
            declaration.year,
            [c.rule_claim(decided=True) for c in claims],
            highest_only_scope=scope,
        )
    except rules.RuleError:
        return {}
    return {int(key): share for key, share in year.shares().items()}


def _content(
    registered: dict[int, tuple[int, int, int]],
) -> tuple[dict[str, ContentRow], dict[str, ContentRow]]:
    """By kind and by form, from the registered declarations {id: (person, general,
    professional)}. Hours that cannot be split by claim (a declaration without claims, or whose
    stored claims the rules engine refuses now) go to one row of their own, so that the tables
    still add up to the registered hours."""
    by_kind: dict[str, ContentRow] = {}
    by_form: dict[str, ContentRow] = {}
    if not registered:
        return by_kind, by_form
    scope = ""  # read once, when a declaration needs evaluating
    ids = list(registered)
    claims_of: dict[int, list[Claim]] = {i: [] for i in ids}
    declarations: dict[int, Declaration] = {}
    for start in range(0, len(ids), 5000):
        for claim, declaration in db.session.execute(
            sa.select(Claim, Declaration)
            .join(Declaration, Claim.declaration_id == Declaration.id)
            .where(Declaration.id.in_(ids[start : start + 5000]))
            .order_by(Claim.declaration_id, Claim.position, Claim.id)
        ).all():
            claims_of[declaration.id].append(claim)
            declarations[declaration.id] = declaration
    for declaration_id, claims in claims_of.items():
        person_id, general, professional = registered[declaration_id]
        shares: dict[int, tuple[int, int]] = {}
        if claims and all(c.counted_general is not None for c in claims):
            shares = {c.id: (c.counted_general, c.counted_professional or 0) for c in claims}
        elif claims:
            scope = scope or highest_only_scope()
            shares = _evaluated_shares(declarations[declaration_id], claims, scope)
        if not shares:
            for rows in (by_kind, by_form):
                row = rows.setdefault(UNSPLIT, ContentRow(UNSPLIT, UNSPLIT))
                row.claims += len(claims)
                row.people.add(person_id)
                row.general += general
                row.professional += professional
            continue
        declaration = declarations[declaration_id]
        for claim in claims:
            general, professional = shares.get(claim.id, (0, 0))
            if general == 0 and professional == 0:
                continue  # refused, capped to nothing, not the elected item, a duplicate
            spec = _kind_spec(declaration.rule_set, claim.kind)
            if claim.kind == PAPER_KIND:
                label = category = PAPER
            else:
                label = spec.label if spec else claim.kind
                category = spec.category if spec else claim.kind
            for row in (
                by_kind.setdefault(
                    claim.kind, ContentRow(claim.kind, label, spec.clause if spec else "")
                ),
                by_form.setdefault(category, ContentRow(category, category)),
            ):
                row.claims += 1
                row.people.add(declaration.professional_id)
                row.general += general
                row.professional += professional
    return by_kind, by_form


def filter_choices(user: User) -> dict:
    """What the filter row offers: units (the bureau only), types, series, levels, authorities."""
    units = []
    if user.role is Role.BUREAU_OFFICER:
        units = db.session.execute(sa.select(Unit.id, Unit.name).order_by(Unit.name)).all()
    return {
        "units": units,
        "unit_types": list(UnitType),
        "series": db.session.execute(
            sa.select(TitleSeries.id, TitleSeries.name).order_by(TitleSeries.name)
        ).all(),
        "levels": list(TitleLevel),
        "authorities": db.session.execute(
            sa.select(Authority.id, Authority.name).order_by(Authority.name)
        ).all(),
    }
