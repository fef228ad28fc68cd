"""A person's record over time, as the staff page and `flask people show` read it."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.idnumbers import clean_id_number
from portal.accounts.models import Professional, Role, User
from portal.accounts.permissions import can_view, reviewable_people, reviewed_under
from portal.declarations.models import Declaration
from portal.extensions import db
from portal.refusal import INVALID, Refusal, not_found


def find_by_id_number(value: str) -> Professional:
    try:
        id_number = clean_id_number(value)
    except ValueError as error:
        raise Refusal(str(error), INVALID) from error
    person = db.session.scalar(sa.select(Professional).filter_by(id_number=id_number))
    if person is None:
        raise not_found("没有该身份证号码的人员记录。")
    return person


def declarations_of(person: Professional) -> list[Declaration]:
    return list(
        db.session.scalars(
            sa.select(Declaration)
            .where(Declaration.professional_id == person.id)
            .order_by(Declaration.year.desc())
        )
    )


def get_person(user: User, person_id: int) -> Professional:
    """A person whose page this staff user may open: the bureau any, a reviewer the people of
    their unit, and the people who once submitted a year to it; 404 otherwise (no leak)."""
    person = db.session.get(Professional, person_id)
    if person is None or user.role is Role.PROFESSIONAL:
        raise not_found()
    if can_view(user, person) or any(reviewed_under(user, d) for d in declarations_of(person)):
        return person
    raise not_found()


def visible_years(user: User, person: Professional) -> list[Declaration]:
    """The years this user may read: all of them for the person's current reviewers and the
    bureau (the person themself too); only the years it reviewed for a former unit."""
    years = declarations_of(person)
    if can_view(user, person):
        return years
    return [d for d in years if reviewed_under(user, d)]


def people_of(user: User, q: str = "", limit: int = 200) -> list[Professional]:
    """The people list of the staff page: the whole county for the bureau, the unit's people
    for its reviewer."""
    if user.role is Role.BUREAU_OFFICER:
        query = sa.select(Professional)
    elif user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        query = reviewable_people(user)
    else:
        return []
    if q.strip():
        query = query.where(Professional.name.contains(q.strip(), autoescape=True))
    return list(db.session.scalars(query.order_by(Professional.name, Professional.id).limit(limit)))


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
                "year": d.year,
                "general": d.general_hours,
                "professional": d.professional_hours,
                "status": d.status.label,
                "unit": d.unit.name if d.unit else None,
                "source": d.source.value,
            }
            for d in declarations_of(person)
        ],
    }
