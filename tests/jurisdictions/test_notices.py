"""Who is told, in an instance of several counties: a county's records tell its own bureau and
its own city, whoever acts (a professional's request sees across counties)."""

from portal.accounts.models import Role
from portal.accounts.permissions import bureau_officers, reviewers_of, submitted_reviewers
from portal.declarations.models import DeclarationStatus, ReviewingBody
from portal.declarations.service import waiting_reviewers
from portal.extensions import db
from portal.jurisdictions import scope
from portal.units.models import FirstReview
from tests.jurisdictions.conftest import CITY, OTHER_CITY, A, B


def _officers(make_user):
    return {code: make_user(Role.BUREAU_OFFICER, jurisdiction_code=code) for code in (A, B)} | {
        code: make_user(Role.CITY_OFFICER, jurisdiction_code=code) for code in (CITY, OTHER_CITY)
    }


def test_a_freelancers_year_tells_only_their_countys_bureau(
    two_counties, make_user, make_professional, make_submitted_declaration
):
    officers = _officers(make_user)
    with scope.use(B):
        freelancer = make_professional(unit=None)
    assert freelancer.jurisdiction_code == B
    with scope.unscoped():  # as in the professional's own request
        assert reviewers_of(freelancer) == [officers[B]]
        declaration = make_submitted_declaration(freelancer)
        declaration.reviewing_body = ReviewingBody.BUREAU
        db.session.commit()
        assert submitted_reviewers(declaration) == [officers[B]]


def test_a_senior_holders_second_step_tells_the_countys_own_city(
    two_counties, make_user, make_professional, make_submitted_declaration
):
    officers = _officers(make_user)
    with scope.use(B):
        person = make_professional(unit=None)
    with scope.unscoped():
        declaration = make_submitted_declaration(person)
        declaration.first_step = FirstReview.UNIT
        declaration.status = DeclarationStatus.PROFESSIONAL_CHECKED
        declaration.second_step_city = True
        db.session.commit()
        assert waiting_reviewers(declaration) == [officers[CITY]]
        declaration.second_step_city = False
        assert waiting_reviewers(declaration) == [officers[B]]
        # without a county: every bureau (the single-county install's one)
        assert set(bureau_officers()) == {officers[A], officers[B]}
