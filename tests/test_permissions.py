"""Routing of review (004 第十四条) as a truth table."""

import pytest

from portal.accounts.models import Role
from portal.accounts.permissions import can_review, can_view, reviewable_people
from portal.extensions import db
from portal.units.models import UnitType


@pytest.mark.parametrize(
    ("unit_type", "own_unit_reviewer", "other_unit_reviewer", "bureau"),
    [
        (UnitType.INSTITUTION, True, False, False),
        (UnitType.STATE_ENTERPRISE, True, False, False),
        (UnitType.ORGAN, True, False, False),
        (UnitType.PRIVATE_ENTERPRISE, False, False, True),
        (UnitType.SOCIAL_ORG, False, False, True),
        (None, False, False, True),  # freelance
    ],
)
def test_who_reviews_whom(
    make_unit,
    make_user,
    make_professional,
    unit_type,
    own_unit_reviewer,
    other_unit_reviewer,
    bureau,
):
    unit = make_unit(type=unit_type) if unit_type else None
    other = make_unit(type=UnitType.INSTITUTION)
    person = make_professional(unit=unit)
    own = make_user(Role.UNIT_REVIEWER, unit=unit) if unit else None
    stranger = make_user(Role.UNIT_REVIEWER, unit=other)
    officer = make_user(Role.BUREAU_OFFICER)
    if own is not None:
        assert can_review(own, person) is own_unit_reviewer
        assert (person in db.session.scalars(reviewable_people(own)).all()) is own_unit_reviewer
    assert can_review(stranger, person) is other_unit_reviewer
    assert can_view(stranger, person) is False
    assert can_review(officer, person) is bureau
    assert can_view(officer, person) is True
    assert (person in db.session.scalars(reviewable_people(officer)).all()) is bureau


def test_professional_sees_only_self(make_professional, make_unit):
    unit = make_unit()
    me, other = make_professional(unit=unit), make_professional(unit=unit)
    assert can_view(me.user, me) and not can_view(me.user, other)
    assert not can_review(me.user, me)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.PROVIDER])
def test_other_roles_see_no_person(make_user, make_professional, role):
    person = make_professional()
    user = make_user(role)
    assert not can_view(user, person) and not can_review(user, person)
