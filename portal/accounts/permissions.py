"""Who reviews whom (004 第十四条): the unit's reviewer for state-owned units and organs,
the bureau for non-public enterprises, social organisations and freelancers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from portal.accounts.models import MoveRequest, Professional, Role, User
from portal.units.models import FirstReview, Unit, UnitType

if TYPE_CHECKING:
    from portal.declarations.models import Declaration

BUREAU_UNIT_TYPES = (UnitType.PRIVATE_ENTERPRISE, UnitType.SOCIAL_ORG)


def can_review(user: User, professional: Professional) -> bool:
    """May this user review (and confirm) this professional's records?"""
    if not user.is_authenticated or not user.active:
        return False
    if user.role is Role.UNIT_REVIEWER:
        return (
            user.unit_id is not None
            and professional.unit_id == user.unit_id
            and not professional.reviewed_by_bureau
        )
    if user.role is Role.BUREAU_OFFICER:
        return professional.reviewed_by_bureau
    return False


def _active(user: User, role: Role) -> bool:
    return user.is_authenticated and user.active and user.role is role


def staffed_authority(authority_id) -> sa.ColumnElement[bool]:
    """SQL: the authority has an active officer account (`authority_id` a column)."""
    return sa.exists().where(
        User.role == Role.AUTHORITY_OFFICER,
        User.authority_id == authority_id,
        User.active.is_(True),
    )


def first_step_is_authoritys(declaration: Declaration) -> bool:
    """Does the series' authority check the first step? Only while it has an officer account:
    otherwise the first step falls back to the person's reviewer (the unit, or the bureau),
    as the series' `first_review` "unit" does, so that no declaration waits where nobody can
    see it (issue 20.4)."""
    from portal.extensions import db

    if declaration.first_step is not FirstReview.AUTHORITY:
        return False
    return bool(
        db.session.scalar(sa.select(staffed_authority(declaration.first_step_authority_id)))
    )


def reviews_as_submitted(user: User, declaration: Declaration) -> bool:
    """The reviewer of a declaration is fixed at submission (the unit and the reviewing body
    recorded then): a later move neither takes it from the old unit's queue nor gives it to
    the new one. Before submission: the person's current reviewer."""
    if declaration.reviewing_body is None:
        return can_review(user, declaration.professional)
    if declaration.reviewing_body.value == "bureau":
        return _active(user, Role.BUREAU_OFFICER)
    return (
        _active(user, Role.UNIT_REVIEWER)
        and user.unit_id is not None
        and user.unit_id == declaration.unit_id
    )


def reviews_first_step(user: User, declaration: Declaration) -> bool:
    """Two-step review (seed 003 五): does this user check the professional claims? The
    authority owning the person's title series (fixed at submission) while it has an officer,
    or the person's reviewer (the unit, or the bureau for its people) when the series says so,
    the authority has no officer, or the person has no series."""
    if declaration.first_step is None:
        return False
    if first_step_is_authoritys(declaration):
        return (
            _active(user, Role.AUTHORITY_OFFICER)
            and user.authority_id is not None
            and user.authority_id == declaration.first_step_authority_id
        )
    return reviews_as_submitted(user, declaration)


def reviews_second_step(user: User, declaration: Declaration) -> bool:
    """Two-step review: the county bureau checks the general claims and the total; the city
    bureau for a person holding a 副高 or 正高 title in the year (seed 003 五(二))."""
    if declaration.first_step is None:
        return False
    if declaration.second_step_city:
        return _active(user, Role.CITY_OFFICER)
    return _active(user, Role.BUREAU_OFFICER)


def reviews_declaration(user: User, declaration: Declaration) -> bool:
    """Is this user a reviewer of this declaration at either step (one step: the person's
    reviewer)? The county bureau keeps reading a declaration whose second step is the
    city's (and is refused, with the reason, when it acts on it)."""
    if declaration.first_step is None:
        return reviews_as_submitted(user, declaration)
    return (
        reviews_first_step(user, declaration)
        or reviews_second_step(user, declaration)
        or (declaration.second_step_city and _active(user, Role.BUREAU_OFFICER))
    )


def reviews_now(user: User, declaration: Declaration) -> bool:
    """Is it this user's turn: the one step, the first step, or (once the professional
    claims passed) the bureau's second step?"""
    if declaration.first_step is None:
        return reviews_as_submitted(user, declaration)
    if declaration.status.value == "professional_checked":
        return reviews_second_step(user, declaration)
    return reviews_first_step(user, declaration)


def first_step_reviewers(declaration: Declaration) -> list[User]:
    """Who hears that a two-step declaration waits for its first step."""
    from portal.extensions import db

    if first_step_is_authoritys(declaration):
        return list(
            db.session.scalars(
                sa.select(User).where(
                    User.role == Role.AUTHORITY_OFFICER,
                    User.authority_id == declaration.first_step_authority_id,
                    User.active.is_(True),
                )
            )
        )
    return submitted_reviewers(declaration)


def unit_publicity_allowed() -> bool:
    from portal.settings import get_setting

    return bool(get_setting("UNIT_PUBLICITY"))


def can_publicise(user: User, declaration: Declaration) -> bool:
    """May put this approved declaration on the board: the bureau; or, when the bureau allows
    it (setting UNIT_PUBLICITY, 004 第十四条), a reviewer of the unit that approved it for one
    of its own people (never one the bureau approved, nor another unit's)."""
    if _active(user, Role.BUREAU_OFFICER):
        return True
    reviewer = declaration.reviewer
    return (
        _active(user, Role.UNIT_REVIEWER)
        and user.unit_id is not None
        and unit_publicity_allowed()
        and declaration.reviewing_body is not None
        and declaration.reviewing_body.value == "unit"
        and declaration.unit_id == user.unit_id
        and reviewer is not None
        and reviewer.role is Role.UNIT_REVIEWER
        and reviewer.unit_id == user.unit_id
        and can_review(user, declaration.professional)
    )


def can_view(user: User, professional: Professional) -> bool:
    """Read access to a person's records and evidence: the person, their reviewers, the bureau."""
    if not user.is_authenticated or not user.active:
        return False
    if user.role is Role.PROFESSIONAL:
        return professional.user_id == user.id
    if user.role is Role.BUREAU_OFFICER:
        return True  # the bureau sees the whole county
    return can_review(user, professional)


def reviewed_under(user: User, declaration: Declaration) -> bool:
    """Was this declaration submitted to this user's unit? A unit keeps read access to the
    years it reviewed after the person has moved on (the unit is recorded at submission)."""
    return (
        user.is_authenticated
        and user.active
        and user.role is Role.UNIT_REVIEWER
        and user.unit_id is not None
        and declaration.unit_id == user.unit_id
        and declaration.reviewing_body is not None
        and declaration.reviewing_body.value == "unit"
    )


def can_view_declaration(user: User, declaration: Declaration) -> bool:
    """Read access to one year: whoever may view the person now, or the unit it was submitted
    to (years it reviewed, even after a move)."""
    return can_view(user, declaration.professional) or reviewed_under(user, declaration)


def can_manage_person(user: User, professional: Professional) -> bool:
    """May keep the person's record (titles): the bureau, or a reviewer of the person's
    current unit."""
    if not user.is_authenticated or not user.active:
        return False
    if user.role is Role.BUREAU_OFFICER:  # not a person handed on to another county
        return professional.jurisdiction_code == user.jurisdiction_code
    return (
        user.role is Role.UNIT_REVIEWER
        and user.unit_id is not None
        and professional.unit_id == user.unit_id
    )


def can_confirm_move(user: User, move: MoveRequest) -> bool:
    """Nobody moves anyone alone. Entered by the new unit: the person, the old unit's
    reviewer or the bureau confirms (never the unit that entered it). Asked by the person or
    entered by the bureau: whoever reviews the person at the new unit (the bureau for
    non-public employers and freelance, 004 第十四条)."""
    if not user.is_authenticated or not user.active:
        return False
    person_county = move.professional.jurisdiction_code
    if move.requested_by.role is Role.UNIT_REVIEWER:
        if user.role is Role.BUREAU_OFFICER:  # the old side's: the person's county's bureau
            return user.jurisdiction_code == person_county
        if user.role is Role.PROFESSIONAL:
            return move.professional.user_id == user.id
        return (
            user.role is Role.UNIT_REVIEWER
            and user.unit_id is not None
            and move.from_unit_id == user.unit_id
        )
    if move.reviewed_by_bureau:  # the new side's: the bureau of the new unit's county
        county = move.unit.jurisdiction_code if move.unit is not None else person_county
        return user.role is Role.BUREAU_OFFICER and user.jurisdiction_code == county
    return (
        user.role is Role.UNIT_REVIEWER
        and user.unit_id is not None
        and move.unit_id == user.unit_id
    )


def reviewable_condition(user: User) -> sa.ColumnElement[bool]:
    """SQL on Professional: the people this user reviews (false for other roles). A condition
    on the row rather than a list of ids, so that a query already reading the person (the
    review queue) tests it on its own rows instead of collecting the whole county's ids."""
    if user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        return sa.and_(
            Professional.unit_id == user.unit_id,
            sa.exists().where(Unit.id == user.unit_id, Unit.type.not_in(BUREAU_UNIT_TYPES)),
        )
    if user.role is Role.BUREAU_OFFICER:
        return sa.or_(
            Professional.unit_id.is_(None),
            Professional.unit_id.in_(sa.select(Unit.id).where(Unit.type.in_(BUREAU_UNIT_TYPES))),
        )
    return sa.false()


def reviewable_people(user: User) -> sa.Select:
    """A select of the Professional rows this user reviews (empty for other roles)."""
    return sa.select(Professional).where(reviewable_condition(user))


def bureau_officers(role: Role = Role.BUREAU_OFFICER, county: str | None = None) -> list[User]:
    """The active accounts of the bureau (or, with `role`, the city's officers); `county`: of
    that county's bureau only, or of the city it belongs to (a county's records tell its own
    bureau and city, whoever acts: a professional's request sees across counties)."""
    from portal.extensions import db
    from portal.jurisdictions import service as jurisdictions

    query = sa.select(User).where(User.role == role, User.active.is_(True))
    if county is not None:
        codes = (
            [county, *jurisdictions.ancestors(county)] if role is Role.CITY_OFFICER else [county]
        )
        query = query.where(User.jurisdiction_code.in_(codes))
    return list(db.session.scalars(query))


def reviewers_of(professional: Professional) -> list[User]:
    """The active accounts that review this person (who hear of a new submission)."""
    if professional.reviewed_by_bureau:
        return bureau_officers(county=professional.jurisdiction_code)
    return unit_reviewers(professional.unit_id)


def submitted_reviewers(declaration: Declaration) -> list[User]:
    """The active accounts that review this declaration as it was submitted (the unit or the
    bureau recorded at submission; before it, the person's reviewers)."""
    if declaration.reviewing_body is None:
        return reviewers_of(declaration.professional)
    if declaration.reviewing_body.value == "bureau":
        return bureau_officers(county=declaration.jurisdiction_code)
    return unit_reviewers(declaration.unit_id)


def unit_reviewers(unit_id: int | None) -> list[User]:
    """The active reviewer accounts of a unit."""
    from portal.extensions import db

    if unit_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User).where(
                User.role == Role.UNIT_REVIEWER, User.unit_id == unit_id, User.active.is_(True)
            )
        )
    )
