"""The two-step review's lists at size (issue 24.9): the bureau's list of first steps waiting
(/review/first-steps) and the city officer's yearly second steps beside its verifications
(/verification/) run as many queries with many rows as with a few (no query per row).

Same method as test_query_counts: each row's person sits in a unit of their own and each
authority is another row, so that a lazy load per row would show."""

from portal.accounts.models import Role
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.units.models import FirstReview, TitleLevel
from tests.perf.test_query_counts import FEW, MANY, person_of_own_series, queries


def _two_step(make_unit, make_professional, make_submitted_declaration, n, staffed, **kwargs):
    """n two-step declarations, each of a person in a unit of their own whose series has an
    authority of its own (half of them with an officer account when `staffed`)."""
    for i in range(n):
        person, authority = person_of_own_series(
            make_unit, make_professional, f"{n}-{i}", TitleLevel.FULL_SENIOR
        )
        if staffed(i):
            yield authority
        make_submitted_declaration(
            person, first_step=FirstReview.AUTHORITY, first_step_authority_id=authority.id, **kwargs
        )


def test_first_steps_list_queries_do_not_grow(
    app, client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    auth.login(make_user(Role.BUREAU_OFFICER))

    def submit(n):
        made = _two_step(
            make_unit, make_professional, make_submitted_declaration, n, lambda i: i % 2
        )
        for authority in made:  # every other authority has an officer: both kinds of group
            make_user(Role.AUTHORITY_OFFICER, authority=authority)
        db.session.commit()

    submit(FEW)
    few = queries(app, client, "/review/first-steps")
    submit(MANY)
    page = client.get("/review/first-steps").text
    assert page.count("主管部门") >= FEW + MANY  # every group is on the page
    assert queries(app, client, "/review/first-steps") == few


def test_city_yearly_list_queries_do_not_grow(
    app, client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    """The city officer's /verification/: the senior holders' yearly second steps (the first
    step passed, the city's turn) beside the verifications sent to the city."""
    auth.login(make_user(Role.CITY_OFFICER))

    def pass_first_steps(n):
        list(
            _two_step(
                make_unit,
                make_professional,
                make_submitted_declaration,
                n,
                lambda i: False,
                status=DeclarationStatus.PROFESSIONAL_CHECKED,
                second_step_city=True,
            )
        )
        db.session.commit()

    pass_first_steps(FEW)
    few = queries(app, client, "/verification/")
    pass_first_steps(MANY)
    assert f"（{FEW + MANY} 份待核验）" in client.get("/verification/").text
    assert queries(app, client, "/verification/") == few
