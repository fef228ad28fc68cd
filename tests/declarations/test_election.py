"""Highest-only (就高原则, 第二十一条4): the person elects the item that counts, else the engine
picks what serves the person best; the bureau's scope setting; the reviewer sees the election."""

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.declarations import service
from portal.declarations.models import Claim, DeclarationStatus
from portal.extensions import db
from portal.refusal import Refusal
from portal.settings import set_setting
from tests.declarations.conftest import YEAR

TRAINING = {"kind": "training", "facts": {"days": 3}, "subject": "professional"}
PATENT = {"kind": "patent.invention", "facts": {"rank": 1}, "subject": "professional"}
COURSEWARE = {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def declaration(make_declaration, person):
    return make_declaration(person=person, claims=[TRAINING, PATENT, COURSEWARE])


def _claims(declaration_id):
    return db.session.scalars(
        sa.select(Claim).where(Claim.declaration_id == declaration_id).order_by(Claim.position)
    ).all()


def test_without_election_the_best_item_counts(logged_in, declaration):
    page = logged_in.get(f"/declarations/{YEAR}").text
    assert page.count('type="radio" name="claim"') == 2  # conversion claims only
    assert "计入此项（就高认定）" in page
    assert "每个年度认定仅能选择一项，不重复累计认定" in page
    assert "您尚未选择" in page and "系统按最有利原则选择" in page
    assert "第2项“发明专利”50学时" in page


def test_electing_a_lower_item_counts_it_and_updates_the_totals(app, logged_in, declaration):
    training, patent, _ = declaration.claims
    response = logged_in.post(
        f"/declarations/{YEAR}/elect", data={"claim": training.id}, headers=HTMX
    )
    assert response.status_code == 200
    assert 'id="declaration-body"' in response.text
    assert "按您的选择" in response.text and "第1项“培训、研修或进修”18学时" in response.text
    assert "专业科目" in response.text and "18 / 60" in response.text
    with app.app_context():
        assert [c.elected for c in _claims(declaration.id)] == [True, False, False]
        result = service.evaluate(db.session.get(type(declaration), declaration.id))
        assert (result.professional, result.chosen_by) == (18, "elected")
        [event] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "claim.elect")
        ).all()
        assert event.object_id == str(training.id)
    assert "本人选择的就高认定项" in logged_in.get(f"/declarations/{YEAR}/submit").text
    # electing another one moves the choice: only one claim is ever elected
    logged_in.post(f"/declarations/{YEAR}/elect", data={"claim": patent.id}, headers=HTMX)
    with app.app_context():
        assert [c.elected for c in _claims(declaration.id)] == [False, True, False]


def test_clearing_the_election_lets_the_system_choose(app, logged_in, declaration):
    training = declaration.claims[0]
    logged_in.post(f"/declarations/{YEAR}/elect", data={"claim": training.id})
    response = logged_in.post(f"/declarations/{YEAR}/elect", data={"claim": ""})
    assert response.status_code == 303  # without htmx: back to the page
    page = logged_in.get(f"/declarations/{YEAR}").text
    assert "已保存就高认定的选择" in page and "您尚未选择" in page
    with app.app_context():
        assert not any(c.elected for c in _claims(declaration.id))


def test_only_conversion_claims_of_a_draft_may_be_elected(app, logged_in, declaration):
    courseware = declaration.claims[2]
    response = logged_in.post(f"/declarations/{YEAR}/elect", data={"claim": courseware.id})
    assert response.status_code == 422
    assert "第十二条（一）至（十一）" in response.text
    declaration.status = DeclarationStatus.SUBMITTED  # the requests share the test's session
    db.session.commit()
    response = logged_in.post(
        f"/declarations/{YEAR}/elect", data={"claim": declaration.claims[0].id}
    )
    assert response.status_code == 409
    with app.app_context():
        assert not any(c.elected for c in _claims(declaration.id))


def test_someone_elses_claim_is_not_found(logged_in, declaration, make_declaration):
    other = make_declaration(claims=[TRAINING])
    response = logged_in.post(f"/declarations/{YEAR}/elect", data={"claim": other.claims[0].id})
    assert response.status_code == 404


def test_hefei_declarations_have_no_election(app, make_declaration, person, make_user):
    declaration = make_declaration(
        person=person,
        year=YEAR - 1,
        rule_set="hefei-2021",
        claims=[{"kind": "teacher_training", "subject": "professional"}],
    )
    with app.test_request_context():
        claim = db.session.get(Claim, declaration.claims[0].id)
        with pytest.raises(Refusal):
            service.elect_claim(person.user, claim)


def test_claim_scope_counts_a_single_claim(app, logged_in, make_declaration, person):
    two_trainings = make_declaration(
        person=person, claims=[TRAINING, {**TRAINING, "facts": {"days": 5}}]
    )
    with app.test_request_context():
        result = service.evaluate(two_trainings)
        assert (result.scope, result.professional) == ("clause", 48)  # one clause: both count
        set_setting("HIGHEST_ONLY_SCOPE", "claim")
        db.session.commit()
        result = service.evaluate(two_trainings)
        assert (result.scope, result.professional) == ("claim", 30)  # the better claim only
    page = logged_in.get(f"/declarations/{YEAR}").text
    assert "只计入<strong>一条申报</strong>" in page


def test_the_reviewer_sees_the_election(app, client, auth, make_user, person):
    from portal.accounts.models import Role
    from tests.conftest import PASSWORD

    reviewer = make_user(Role.UNIT_REVIEWER, unit=person.unit)
    declaration = _submitted_with_election(app, person)
    auth.login(reviewer.username, PASSWORD)
    page = client.get(f"/review/{declaration}").text
    assert "本人选择的就高认定项" in page
    assert "按本人选择" in page and "第1项“培训、研修或进修”18学时" in page


def _submitted_with_election(app, person):
    from portal.declarations.models import Declaration

    with app.app_context():
        declaration = Declaration(
            professional_id=person.id,
            year=YEAR,
            rule_set="anhui-2025",
            status=DeclarationStatus.SUBMITTED,
        )
        db.session.add(declaration)
        for position, (data, elected, hours) in enumerate(
            [(TRAINING, True, 18), (PATENT, False, 50)], start=1
        ):
            db.session.add(
                Claim(
                    declaration=declaration,
                    position=position,
                    kind=data["kind"],
                    subject=data["subject"],
                    facts=data["facts"],
                    details={},
                    hours=hours,
                    elected=elected,
                )
            )
        db.session.commit()
        return declaration.id


def test_without_election_the_item_that_makes_the_year_compliant_counts(
    logged_in, make_declaration, person
):
    make_declaration(
        person=person,
        claims=[
            {"kind": "training", "facts": {"days": 20}, "subject": "general"},
            {"kind": "aid.assignment", "subject": "professional"},
        ],
    )
    page = logged_in.get(f"/declarations/{YEAR}").text
    assert "系统按最有利原则选择" in page and "第2项“援派及基层服务”90学时" in page
    assert "已达标" in page


def test_a_draft_project_without_completed_asks_for_it(logged_in, make_declaration, person):
    declaration = make_declaration(
        person=person,
        claims=[{"kind": "project", "facts": {"level": "city", "role": "host", "completed": True}}],
    )
    claim = declaration.claims[0]
    claim.facts = {"level": "city", "role": "host"}  # as migration 0006 leaves an unticked one
    db.session.commit()
    page = logged_in.get(f"/declarations/{YEAR}").text
    assert "请填写“是否已结项”" in page
    problems = service.submission_problems(declaration)
    assert any("是否已结项" in p for p in problems)
    form = logged_in.get(f"/declarations/{YEAR}/claims/{claim.id}").text
    assert 'name="completed"' in form and "checked" not in form


def test_the_review_counts_by_the_bureaus_scope(app, make_submitted_declaration, person):
    from portal.review import service as review

    declaration = make_submitted_declaration(
        person,
        year=YEAR,
        claims=[
            {"kind": "training", "facts": {"days": 3}, "subject": "professional"},
            {"kind": "training", "facts": {"days": 5}, "subject": "professional"},
        ],
    )
    with app.test_request_context():
        assert review.accepted_year(declaration).professional == 48
        set_setting("HIGHEST_ONLY_SCOPE", "claim")
        assert review.accepted_year(declaration).professional == 30
        assert review.accepted_year(declaration).scope == "claim"
