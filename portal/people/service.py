"""A person's record over time, as the staff page and `flask people show` read it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.idnumbers import clean_id_number
from portal.accounts.models import Employment, Professional, Role, User
from portal.accounts.permissions import can_view, reviewable_condition, reviewed_under
from portal.declarations.models import Declaration, DeclarationSource, DeclarationStatus
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions.models import FormerJurisdiction
from portal.paging import PER_PAGE, Window, contains, like_text, paged, window
from portal.refusal import INVALID, Refusal, not_found


def find_by_id_number(value: str, across: bool = False) -> Professional:
    """The person of this ID number in the user's county; `across`: in any county of the
    instance (a unit or bureau entering a move from another county types the whole number)."""
    try:
        id_number = clean_id_number(value)
    except ValueError as error:
        raise Refusal(str(error), INVALID) from error
    query = sa.select(Professional).filter_by(id_number=id_number)
    person = db.session.scalar(query.execution_options(all_jurisdictions=across))
    if person is None:
        raise not_found("没有该身份证号码的人员记录。")
    return person


PORTAL = DeclarationSource.PORTAL.value  # a year declared and registered in the portal
PAPER = DeclarationSource.PAPER.value  # a year entered from the paper 继续教育证书
ELSEWHERE = DeclarationSource.ELSEWHERE.value  # imported: registered by another county
SOURCE_LABELS = {PORTAL: "本系统登记", PAPER: "纸质证书录入", ELSEWHERE: "外县（市）登记"}


@dataclass(frozen=True)
class RegisteredYear:
    """One year of a person's registered hours, whatever it was registered from."""

    year: int
    rule_set: str
    general: int
    professional: int
    source: str  # PORTAL, PAPER or ELSEWHERE
    unit: str | None = None  # the unit at the time, when known

    @property
    def total(self) -> int:
        return self.general + self.professional

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)


def declarations_of(person: Professional) -> list[Declaration]:
    """Every declaration of the person (portal and paper), newest first."""
    return list(
        db.session.scalars(
            sa.select(Declaration)
            .where(Declaration.professional_id == person.id)
            .order_by(Declaration.year.desc())
        )
    )


def registered_years(person: Professional, across: bool = False) -> list[RegisteredYear]:
    """The person's registered hours per year, ascending: the one place they are read from.

    `person_record` and cycle verification count what this returns. (The certificate still
    lists its registered declarations itself, with each year's reviewer and dates.) A county
    reads the years it registered; `across` (cycle verification for a title application):
    the person's own years in every county their record was in."""
    declarations = db.session.scalars(
        sa.select(Declaration)
        .where(
            Declaration.professional_id == person.id,
            Declaration.status == DeclarationStatus.REGISTERED,
        )
        .options(joinedload(Declaration.unit))
        .order_by(Declaration.year)
        .execution_options(all_jurisdictions=across)
    )
    return [
        RegisteredYear(
            year=d.year,
            rule_set=d.rule_set,
            general=d.general_hours or 0,
            professional=d.professional_hours or 0,
            source=d.source.value,
            unit=d.unit.name if d.unit else None,
        )
        for d in declarations
    ]


def get_person(user: User, person_id: int) -> Professional:
    """A person whose page this staff user may open: the bureau any, a reviewer the people of
    their unit, and the people who once submitted a year to it; 404 otherwise (no leak)."""
    person = db.session.get(Professional, person_id)
    if person is None or user.role is Role.PROFESSIONAL:
        raise not_found()
    if (
        can_view(user, person)
        or worked_here(user, person)
        or any(reviewed_under(user, d) for d in declarations_of(person))
    ):
        return person
    raise not_found()


def _former_staff(user: User) -> sa.Select:
    """The ids of the people who once worked at this reviewer's unit and have moved on."""
    return sa.select(Employment.professional_id).where(
        Employment.unit_id == user.unit_id, Employment.ended_on.is_not(None)
    )


def worked_here(user: User, person: Professional) -> bool:
    """Did the person once work at this reviewer's unit (已调出)? The old unit keeps finding
    them, with the years it reviewed."""
    return (
        user.role is Role.UNIT_REVIEWER
        and user.unit_id is not None
        and person.unit_id != user.unit_id
        and db.session.scalar(
            _former_staff(user).where(Employment.professional_id == person.id).limit(1)
        )
        is not None
    )


def visible_years(user: User, person: Professional) -> list[Declaration]:
    """The years this user may read: all of them for the person's current reviewers and the
    bureau (the person themself too); only the years it reviewed for a former unit."""
    years = declarations_of(person)
    if can_view(user, person):
        return years
    return [d for d in years if reviewed_under(user, d)]


def people_of(user: User, q: str = "", page: int = 1) -> Window:
    """One page of the staff page's people list, in name order: the whole county for the
    bureau, the unit's people (and those who moved out of it) for its reviewer."""
    if user.role is Role.BUREAU_OFFICER:
        counties = scope.counties()
        if counties is not None:  # an instance of many counties
            return _county_people(counties, q.strip(), page)
        query = sa.select(Professional)
    elif user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        # the unit's people and those who moved out of it, as one set of ids: an OR of the
        # two made PostgreSQL read a city's people in name order to find a unit's (30 ms).
        # The unit's former staff are read first, on their own and across the counties (the
        # unit's own employment rows; who of them the reviewer sees, the scoped query below
        # decides): inside the query, the employment rows' scope made PostgreSQL read the
        # city's people in id order to find the few (10 ms).
        former = db.session.scalars(
            _former_staff(user).execution_options(all_jurisdictions=True)
        ).all()
        theirs = sa.select(Professional.id).where(reviewable_condition(user))
        moved_out = sa.select(Professional.id).where(
            Professional.id.in_(former),
            sa.or_(Professional.unit_id.is_(None), Professional.unit_id != user.unit_id),
        )
        query = sa.select(Professional).where(Professional.id.in_(sa.union(theirs, moved_out)))
    else:
        return Window()
    if q.strip():
        query = query.where(Professional.name.contains(q.strip(), autoescape=True))
    query = query.options(joinedload(Professional.unit))  # each row shows its unit
    return window(query.order_by(Professional.name, Professional.id), page)


def _county_people(counties: tuple[str, ...], q: str, page: int) -> Window:
    """people_of for a bureau on an instance of many counties: its county's people and those
    it handed on to another county, in name order (_county_people_statement)."""
    page = max(1, page)
    rows = db.session.scalars(_county_people_statement(counties, bool(q)), {
        "q": like_text(q), "end": page * PER_PAGE + 1,
        "limit": PER_PAGE + 1, "offset": (page - 1) * PER_PAGE,
    }).unique().all()  # fmt: skip
    return Window.of(rows, page)


@functools.lru_cache(maxsize=64)
def _county_people_statement(counties: tuple[str, ...], named: bool) -> sa.Select:
    """_county_people's statement, built once per counties and with or without a name filter
    (the `q` parameter; `end`: the page's end, `limit` and `offset`: the page). Each part (the
    county's people, those it handed on) is read in name order up to the page's end and the
    two merged: as one query (the scope's criteria: the county's OR the handed on)
    PostgreSQL read the whole city's people in name order to find a county's (a search for 王
    on the 300,000-person city: 126 ms; page 40: 25 ms); the county's part now comes from the
    (county, name) index."""
    handed_on = sa.select(FormerJurisdiction.professional_id).where(
        FormerJurisdiction.jurisdiction_code.in_(counties)
    )
    parts = []
    for whose in (
        Professional.jurisdiction_code.in_(counties),
        sa.and_(Professional.id.in_(handed_on), Professional.jurisdiction_code.not_in(counties)),
    ):
        # the keys alone (name, id): the county's part is read from the index, not the rows
        part = sa.select(Professional.name, Professional.id).where(whose)
        if named:
            part = part.where(contains(Professional.name))
        part = part.order_by(Professional.name, Professional.id).limit(sa.bindparam("end"))
        # each part as a subquery of its own (SQLite takes no ORDER BY in a UNION's member)
        parts.append(part.subquery())
    both = sa.union_all(*(sa.select(part) for part in parts)).subquery("both")
    keys = paged(sa.select(both).order_by(both.c.name, both.c.id)).subquery("page")
    query = (
        sa.select(Professional)
        .join(keys, Professional.id == keys.c.id)
        .options(joinedload(Professional.unit))
    )  # then the page's rows by their ids
    return query.order_by(keys.c.name, keys.c.id)


def moved_out(user: User, person: Professional) -> bool:
    """A person on the user's list who has left it (已调出): out of the unit reviewer's unit,
    or handed on to another county of the instance (the bureau keeps the years it registered)."""
    if user.role is Role.UNIT_REVIEWER:
        return person.unit_id != user.unit_id
    if user.role is Role.BUREAU_OFFICER:
        return person.jurisdiction_code != user.jurisdiction_code
    return False


def _day(value) -> str | None:
    return value.isoformat() if value else None


def person_record(person: Professional) -> dict:
    """Plain data (ID number masked): the command prints it as JSON."""
    return {
        "name": person.name,
        "id_number": person.masked_id_number,
        "transfer_in_date": _day(person.transfer_in_date),
        "titles": [
            {
                "series": title.series.name,
                "level": title.level.label,
                "name": title.name,
                "obtained": _day(title.obtained),
                "appointed": _day(title.appointed),
            }
            for title in person.titles
        ],
        "employment": [
            {"unit": e.unit_name, "from": _day(e.started_on), "to": _day(e.ended_on)}
            for e in person.employments
        ],
        "years": [
            {
                "year": y.year,
                "general": y.general,
                "professional": y.professional,
                "status": DeclarationStatus.REGISTERED.label,
                "unit": y.unit,
                "source": y.source,
            }
            for y in reversed(registered_years(person))
        ],
    }
