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
from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa

from portal import rules
from portal.accounts.models import PersonStatus, PersonTitle, Professional, Role, User
from portal.declarations.models import Claim, Declaration, DeclarationSource, DeclarationStatus
from portal.declarations.paper import PAPER_KIND
from portal.declarations.service import highest_only_scope
from portal.extensions import db
from portal.jurisdictions import scope as jurisdiction_scope
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
    # The jurisdiction's county codes (the statements' parameter); None: every county.
    counties: tuple[str, ...] | None = None


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
    people: int = 0
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
            "people": self.people,
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


STATISTICS_ROLES = (
    Role.BUREAU_OFFICER,
    Role.CITY_OFFICER,
    Role.UNIT_REVIEWER,
    Role.PROVINCE_VIEWER,
)
# Who may have the figures computed again (a job): not the unit, not the read-only province.
RECOMPUTE_ROLES = (Role.BUREAU_OFFICER, Role.CITY_OFFICER)


def may_recompute(user: User) -> bool:
    return user.is_authenticated and user.role in RECOMPUTE_ROLES


def may_see_statistics(user: User) -> bool:
    return user.is_authenticated and user.role in STATISTICS_ROLES


def scoped(user: User | None, filters: Filters) -> Filters:
    """A unit reviewer sees only their own unit, whatever the filters ask; None is the CLI
    (the bureau's operator on the server)."""
    if user is None or user.role in (Role.BUREAU_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_VIEWER):
        return filters
    if user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        return replace(filters, unit_id=user.unit_id, unit_type=None)
    raise forbidden("只有人社局经办人、市人社局经办人、省人社厅经办人和单位经办人可以查看统计。")


def check_year(year: int) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Refusal(f"年度“{year}”无效，应为 2000–2100 之间的年份。", INVALID, field="year")
    return year


# The title of the year (see the module's definitions), joined per person by a correlated pick:
# the same choice as accounts.people.title_in_year, which ranks every title of the county first.
TITLE = sa.orm.aliased(PersonTitle, name="title_of_year")
TITLE_SERIES = sa.orm.aliased(TitleSeries, name="title_series_of_year")
TITLE_AUTHORITY = sa.orm.aliased(Authority, name="title_authority_of_year")


def _title_of_year(year: int) -> sa.ScalarSelect:
    """The id of the person's title valid in `year`: the latest obtained by 31 December, then
    the last entered; an undated title last (accounts.people.title_in_year, per person)."""
    other = sa.orm.aliased(PersonTitle)
    return (
        sa.select(other.id)
        .where(other.professional_id == Professional.id)
        .where(sa.or_(other.obtained.is_(None), other.obtained <= date(year, 12, 31)))
        .order_by(other.obtained.is_(None), other.obtained.desc(), other.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _by_title(filters: Filters) -> bool:
    return (
        filters.series_id is not None
        or filters.title_level is not None
        or bool(filters.authority_id)
    )


def _in_scope(filters: Filters, title: bool, *columns) -> sa.Select:
    """`columns` over the people on record in the filters, one row per person, each with the
    title of the year (TITLE, TITLE_SERIES; joined when `title` or a title filter asks) and the
    declaration of the year (outer joins)."""
    query = (
        sa.select(*columns)
        .select_from(Professional)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
    )
    if title or _by_title(filters):
        query = query.outerjoin(TITLE, TITLE.id == _title_of_year(filters.year)).outerjoin(
            TITLE_SERIES, TITLE_SERIES.id == TITLE.series_id
        )
    query = query.outerjoin(
        Declaration,
        sa.and_(
            Declaration.professional_id == Professional.id,
            Declaration.year == filters.year,
        ),
    ).where(Professional.status == PersonStatus.CONFIRMED)
    if filters.counties is not None:  # the jurisdiction: a parameter, not the request's scope
        query = query.where(Professional.jurisdiction_code.in_(filters.counties))
    if filters.unit_id == 0:
        query = query.where(Professional.unit_id.is_(None))
    elif filters.unit_id:
        query = query.where(Professional.unit_id == filters.unit_id)
    if filters.unit_type is not None:
        query = query.where(Unit.type == filters.unit_type)
    if filters.series_id == 0:
        query = query.where(TITLE.series_id.is_(None))
    elif filters.series_id:
        query = query.where(TITLE.series_id == filters.series_id)
    if filters.title_level is not None:
        query = query.where(TITLE.level == filters.title_level)
    if filters.authority_id:
        query = query.where(TITLE_SERIES.authority_id == filters.authority_id)
    return query


_DIMENSIONS = {  # a table grouped by: the columns of its key and label
    "unit": ("unit_id", "unit_name"),
    "unit_type": ("unit_type",),
    "series": ("series_id", "series_name"),
    "level": ("level",),
    "authority": ("authority_id", "authority_name"),
}


def _people_groups(filters: Filters) -> list[sa.Row]:
    """The people in the filters grouped by unit, unit type, title series, level and authority
    in one statement: a row a person (their unit, title of the year, declaration's state) as a
    common table expression, each grouping of it one branch of a UNION ALL. Rows: (table, unit
    id, unit name, unit type, series id, series name, level, authority id, authority name,
    people, declared, registered, compliant, general and professional hours, the first person's
    id: the tables keep the order their rows were first met in, person by person)."""
    registered = Declaration.status == DeclarationStatus.REGISTERED
    flag = lambda condition: sa.case((condition, 1), else_=0)  # noqa: E731
    hours = lambda column: sa.case((registered, sa.func.coalesce(column, 0)), else_=0)  # noqa: E731
    people = (
        _in_scope(
            filters,
            True,
            Professional.id.label("person"),
            Professional.unit_id.label("unit_id"),
            Unit.name.label("unit_name"),
            Unit.type.label("unit_type"),
            TITLE.series_id.label("series_id"),
            TITLE_SERIES.name.label("series_name"),
            TITLE.level.label("level"),
            TITLE_SERIES.authority_id.label("authority_id"),
            TITLE_AUTHORITY.name.label("authority_name"),
            flag(
                sa.and_(Declaration.id.is_not(None), Declaration.status != DeclarationStatus.DRAFT)
            ).label("declared"),
            flag(registered).label("registered"),
            flag(sa.and_(registered, Declaration.compliant.is_(True))).label("compliant"),
            hours(Declaration.general_hours).label("general"),
            hours(Declaration.professional_hours).label("professional"),
        )
        .outerjoin(TITLE_AUTHORITY, TITLE_AUTHORITY.id == TITLE_SERIES.authority_id)
        .cte("people")
        .prefix_with("MATERIALIZED")  # computed once, grouped five times
    )
    key_columns = [c for columns in _DIMENSIONS.values() for c in columns]
    branches = []
    for name, columns in _DIMENSIONS.items():
        keys = [people.c[c] for c in columns]
        branches.append(
            sa.select(
                sa.literal(name).label("dimension"),
                *(
                    people.c[c] if c in columns else sa.cast(sa.null(), people.c[c].type)
                    for c in key_columns
                ),
                sa.func.count(),
                *(sa.func.sum(people.c[c]) for c in ("declared", "registered", "compliant")),
                *(sa.func.sum(people.c[c]) for c in ("general", "professional")),
                sa.func.min(people.c.person),
            ).group_by(*keys)
        )
    return db.session.execute(sa.union_all(*branches)).all()


def _kind_spec(rule_set: str, kind: str):
    try:
        return rules.get_rule_set(rule_set).kind(kind)
    except (rules.RuleError, KeyError):
        return None


def grouped(rows: list[Row]) -> list[Row]:
    """Largest first, people without a title last; `rows` in the order first met (ties)."""
    return sorted(rows, key=lambda r: (r.key == "", -r.people, r.label))


_LEVEL_ORDER = {level.value: i for i, level in enumerate(TitleLevel)}


def by_level(rows: list[Row]) -> list[Row]:
    """Highest title level first, people without a title last."""
    return sorted(rows, key=lambda r: _LEVEL_ORDER.get(r.key, len(_LEVEL_ORDER)))


def by_total(rows: list[ContentRow]) -> list[ContentRow]:
    """Most hours first."""
    return sorted(rows, key=lambda r: (-r.total, r.label))


def statistics(user: User | None, filters: Filters) -> Statistics:
    """The year's statistics in the user's scope (see the module's definitions): the people
    grouped in one statement, the hours by kind and form in a few more (`_content`), whatever
    the number of people, units and claims."""
    check_year(filters.year)
    filters = scoped(user, filters)
    if filters.counties is None:
        return _statistics(filters)
    # The jurisdiction is every statement's parameter (filters.counties): the request's scope
    # would only repeat it, and its criteria on the aliased title of the year do not adapt
    # to the correlated subquery that picks it.
    with jurisdiction_scope.unscoped():
        return _statistics(filters)


def _statistics(filters: Filters) -> Statistics:
    keys: dict[str, Callable] = {
        "unit": lambda r: (str(r[1]), r[2]) if r[1] else ("0", FREELANCE),
        "unit_type": lambda r: (r[3].value, r[3].label) if r[3] else ("freelance", FREELANCE),
        "series": lambda r: (str(r[4]), r[5]) if r[4] else ("", NO_TITLE),
        "level": lambda r: (r[6].value, r[6].label) if r[6] else ("", NO_TITLE),
        "authority": lambda r: (str(r[7]), r[8]) if r[7] else ("", NO_TITLE),
    }
    overall = Row("all", "合计")
    groups: dict[str, dict[str, Row]] = {name: {} for name in keys}
    first: dict[int, int] = {}  # id(Row): the first person counted in it
    for row in _people_groups(filters):
        name = row[0]
        key, label = keys[name](row)
        target = groups[name].setdefault(key, Row(key, label))
        targets = [target, overall] if name == "unit" else [target]  # units: everyone once
        for target in targets:
            target.people += row[9]
            target.declared += row[10] or 0
            target.registered += row[11] or 0
            target.compliant += row[12] or 0
            target.general += row[13] or 0
            target.professional += row[14] or 0
            first[id(target)] = min(first.get(id(target), row[15]), row[15])
    met = lambda rows: sorted(rows.values(), key=lambda r: first[id(r)])  # noqa: E731
    by_kind, by_form = _content(filters)
    return Statistics(
        filters=filters,
        overall=overall,
        by_unit=grouped(met(groups["unit"])),
        by_unit_type=grouped(met(groups["unit_type"])),
        by_series=grouped(met(groups["series"])),
        by_level=by_level(groups["level"].values()),
        by_authority=grouped(met(groups["authority"])),
        by_kind=by_total(by_kind),
        by_form=by_total(by_form),
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


@dataclass
class _Part:
    """Counted claims of one kind under one rule set (or the hours that cannot be split): how
    many, in how many declarations (one a person in a year: counted in SQL, plus the ids of
    those evaluated again here), their hours, and the first person (by id) counted in them."""

    claims: int = 0
    grouped: int = 0
    evaluated: set = field(default_factory=set)
    general: int = 0
    professional: int = 0
    first: int | None = None

    @property
    def declarations(self) -> int:
        return self.grouped + len(self.evaluated)

    def add(self, claims: int, general: int, professional: int, first: int) -> _Part:
        self.claims += claims
        self.general += general
        self.professional += professional
        self.first = first if self.first is None else min(self.first, first)
        return self


def _category(rule_set: str, kind: str) -> tuple[str, str, str]:
    """(label, category, clause) of a kind under a rule set, as the tables show it."""
    spec = _kind_spec(rule_set, kind)
    if kind == PAPER_KIND:
        return PAPER, PAPER, spec.clause if spec else ""
    if spec is None:
        return kind, kind, ""
    return spec.label, spec.category, spec.clause


def _content(filters: Filters) -> tuple[list[ContentRow], list[ContentRow]]:
    """By kind and by form, over the registered declarations in the filters. Claims with their
    parts stored (approved since migration 0013) are added up in SQL, grouped by rule set and
    kind; declarations approved before that (a claim without its part) are evaluated again by
    the rules engine, one by one. Hours that cannot be split by claim (a declaration without
    claims, or whose stored claims the rules engine refuses now) go to one row of their own, so
    that the tables still add up to the registered hours."""

    def registered(*columns) -> sa.Select:
        return _in_scope(filters, False, *columns).where(
            Declaration.status == DeclarationStatus.REGISTERED
        )

    unstored = sa.orm.aliased(Claim)
    not_stored = sa.exists().where(
        unstored.declaration_id == Declaration.id, unstored.counted_general.is_(None)
    )
    parts: dict[tuple[str, str], _Part] = {}  # (rule set, kind)
    form_people: dict[str, int] = {}  # category: declarations with a counted claim of it
    unsplit = _Part()

    counted = sa.or_(
        Claim.counted_general != 0, sa.func.coalesce(Claim.counted_professional, 0) != 0
    )

    def stored_claims(*columns) -> sa.Select:
        return (
            registered(*columns)
            .join(Claim, Claim.declaration_id == Declaration.id)
            .where(~not_stored)
            .where(counted)
        )

    stored = db.session.execute(
        stored_claims(
            Declaration.rule_set,
            Claim.kind,
            sa.func.count(),
            sa.func.count(sa.distinct(Claim.declaration_id)),
            sa.func.sum(Claim.counted_general),
            sa.func.sum(sa.func.coalesce(Claim.counted_professional, 0)),
            sa.func.min(Declaration.professional_id),
        ).group_by(Declaration.rule_set, Claim.kind)
    ).all()
    for rule_set, kind, claims, declarations, general, professional, person in stored:
        part = parts.setdefault((rule_set, kind), _Part())
        part.add(claims, general, professional, person).grouped += declarations
    if stored:
        category = sa.case(
            *(
                (
                    sa.and_(Declaration.rule_set == rule_set, Claim.kind == kind),
                    _category(rule_set, kind)[1],
                )
                for rule_set, kind in sorted(parts)
            ),  # fmt: skip
            else_=Claim.kind,
        ).label("category")
        for name, people in db.session.execute(
            stored_claims(category, sa.func.count(sa.distinct(Claim.declaration_id))).group_by(
                category
            )
        ).all():
            form_people[name] = form_people.get(name, 0) + people

    # Registered without claims.
    claimless = db.session.execute(
        registered(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.func.coalesce(Declaration.general_hours, 0)), 0),
            sa.func.coalesce(sa.func.sum(sa.func.coalesce(Declaration.professional_hours, 0)), 0),
            sa.func.min(Declaration.professional_id),
        ).where(~sa.exists().where(Claim.declaration_id == Declaration.id))
    ).one()
    if claimless[0]:
        unsplit.add(0, *claimless[1:]).grouped += claimless[0]

    # Approved before the parts were stored: the rules engine again, declaration by declaration.
    ids = list(db.session.execute(registered(Declaration.id).where(not_stored)).scalars())
    scope = highest_only_scope() if ids else ""
    for start in range(0, len(ids), 5000):
        claims_of: dict[int, list[Claim]] = {}
        declarations: dict[int, Declaration] = {}
        for claim, declaration in db.session.execute(
            sa.select(Claim, Declaration)
            .join(Declaration, Claim.declaration_id == Declaration.id)
            .where(Declaration.id.in_(ids[start : start + 5000]))
            .order_by(Claim.declaration_id, Claim.position, Claim.id)
        ).all():
            claims_of.setdefault(declaration.id, []).append(claim)
            declarations[declaration.id] = declaration
        for declaration_id, claims in claims_of.items():
            declaration = declarations[declaration_id]
            person = declaration.professional_id
            shares = _evaluated_shares(declaration, claims, scope)
            if not shares:
                unsplit.add(
                    len(claims),
                    declaration.general_hours or 0,
                    declaration.professional_hours or 0,
                    person,
                ).evaluated.add(declaration_id)
                continue
            categories: set[str] = set()
            for claim in claims:
                general, professional = shares.get(claim.id, (0, 0))
                if general == 0 and professional == 0:
                    continue  # refused, capped to nothing, not the elected item, a duplicate
                key = (declaration.rule_set, claim.kind)
                part = parts.setdefault(key, _Part())
                part.add(1, general, professional, person).evaluated.add(declaration_id)
                categories.add(_category(*key)[1])
            for name in categories:
                form_people[name] = form_people.get(name, 0) + 1
    return _content_rows(parts, form_people, unsplit)


def _content_rows(
    parts: dict[tuple[str, str], _Part], form_people: dict[str, int], unsplit: _Part
) -> tuple[list[ContentRow], list[ContentRow]]:
    """The rows by kind and by form from the parts by (rule set, kind), in the order they were
    first counted in (by person). A kind labelled differently by two rule sets takes the label
    of the rule set it was first counted under."""
    by_kind: dict[str, ContentRow] = {}
    by_form: dict[str, ContentRow] = {}
    if unsplit.first is not None:
        parts = {**parts, ("", UNSPLIT): unsplit}
    for (rule_set, kind), part in sorted(parts.items(), key=lambda item: item[1].first):
        if part is unsplit:
            label = category = UNSPLIT
            clause = ""
        else:
            label, category, clause = _category(rule_set, kind)
        for rows, key, row in (
            (by_kind, kind, ContentRow(kind, label, clause)),
            (by_form, category, ContentRow(category, category)),
        ):
            row = rows.setdefault(key, row)
            row.claims += part.claims
            row.general += part.general
            row.professional += part.professional
        by_kind[kind].people += part.declarations
        if part is unsplit:
            by_form[UNSPLIT].people = part.declarations
    for category, people in form_people.items():
        by_form[category].people = people
    return list(by_kind.values()), list(by_form.values())


def unit_list(user: User) -> list[tuple[int, str]]:
    """The units the filter row may offer, in name order: the bureau's (its county's), none
    for anyone else."""
    if user.role is not Role.BUREAU_OFFICER:
        return []
    return db.session.execute(sa.select(Unit.id, Unit.name).order_by(Unit.name)).all()


def filter_choices(user: User) -> dict:
    """What the filter row offers: units (the bureau only), types, series, levels, authorities."""
    return {
        "units": unit_list(user),
        "unit_types": list(UnitType),
        "series": db.session.execute(
            sa.select(TitleSeries.id, TitleSeries.name).order_by(TitleSeries.name)
        ).all(),
        "levels": list(TitleLevel),
        "authorities": db.session.execute(
            sa.select(Authority.id, Authority.name).order_by(Authority.name)
        ).all(),
    }
