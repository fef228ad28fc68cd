"""Notifications on every state change that concerns a person, emitted by the services; the
bell's count; reading marks read and follows the link; nothing is deleted."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import PersonStatus, Role
from portal.declarations.models import ClaimDecision, DeclarationStatus
from portal.extensions import db
from portal.notifications import service
from portal.notifications.models import Notification
from portal.units.models import UnitType


def kinds(user) -> list[str]:
    return [n.kind for n in reversed(service.inbox(user))]


@pytest.fixture
def people(make_unit, make_user, make_professional, make_submitted_declaration):
    unit = make_unit(type=UnitType.INSTITUTION)
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    other_reviewer = make_user(Role.UNIT_REVIEWER, unit=make_unit())
    officer = make_user(Role.BUREAU_OFFICER)
    person = make_professional(unit=unit)
    return {
        "unit": unit,
        "reviewer": reviewer,
        "other_reviewer": other_reviewer,
        "officer": officer,
        "person": person,
    }


def test_confirmation_reaches_the_person(people, make_professional):
    from portal.review import service as review

    pending = make_professional(unit=people["unit"], status=PersonStatus.PENDING)
    review.confirm_person(people["reviewer"], pending)
    db.session.commit()
    assert kinds(pending.user) == ["person.confirmed"]
    no_account = make_professional(unit=people["unit"], status=PersonStatus.PENDING, account=False)
    review.confirm_person(people["reviewer"], no_account)  # nobody to tell: no error
    db.session.commit()


def test_submission_review_and_evidence(people, make_submitted_declaration):
    from portal.declarations import service as declarations
    from portal.review import service as review

    person, reviewer = people["person"], people["reviewer"]
    declaration = make_submitted_declaration(person, status=DeclarationStatus.DRAFT)
    declarations.submit(person.user, declaration)
    db.session.commit()
    assert kinds(reviewer) == ["declaration.submitted"]
    assert kinds(people["other_reviewer"]) == [] and kinds(people["officer"]) == []
    assert service.inbox(reviewer)[0].args == {"declaration_id": declaration.id}
    review.request_evidence(reviewer, declaration, "请补充培训证书")
    for claim in declaration.claims:
        review.decide_claim(reviewer, claim, ClaimDecision.ACCEPTED)
    review.approve(reviewer, declaration)
    db.session.commit()
    assert kinds(person.user) == ["declaration.evidence_requested", "declaration.approved"]
    assert "请补充培训证书" in service.inbox(person.user)[1].text


def test_rejection(people, make_submitted_declaration):
    from portal.review import service as review

    declaration = make_submitted_declaration(people["person"])
    review.reject(people["reviewer"], declaration, "证明材料不实")
    db.session.commit()
    assert kinds(people["person"].user) == ["declaration.rejected"]


def test_bureau_reviewed_submission_reaches_officers(
    people, make_unit, make_professional, make_submitted_declaration
):
    from portal.declarations import service as declarations

    freelancer = make_professional(unit=None)
    declaration = make_submitted_declaration(freelancer, status=DeclarationStatus.DRAFT)
    declarations.submit(freelancer.user, declaration)
    db.session.commit()
    assert kinds(people["officer"]) == ["declaration.submitted"]
    assert kinds(people["reviewer"]) == []


@pytest.fixture
def publicised(people, make_submitted_declaration):
    from portal.board.models import PublicityBatch
    from portal.clock import local_today

    today = local_today()
    batch = PublicityBatch(
        title="批次",
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=4),
        created_by_id=people["officer"].id,
    )
    db.session.add(batch)
    db.session.flush()
    return make_submitted_declaration(
        people["person"],
        status=DeclarationStatus.PUBLICISED,
        batch_id=batch.id,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )


def test_objection_raised_and_decided(people, publicised):
    from portal.board import service as board

    objection = board.raise_objection(publicised, "张三", "13800000000", "不实", "10.0.0.1")
    db.session.commit()
    assert kinds(people["person"].user) == ["objection.raised"]
    assert kinds(people["officer"]) == ["objection.raised"]
    board.decide_objection(people["officer"], objection, board.DISMISS, "经核实无误")
    db.session.commit()
    assert kinds(people["person"].user) == ["objection.raised", "objection.decided"]


def test_registration_and_certificate(people, publicised):
    from portal import clock
    from portal.board import service as board
    from portal.models_base import utcnow

    with clock.travel(utcnow() + timedelta(days=30)):  # the publicity period is over by then
        board.close_due()
    db.session.commit()
    assert kinds(people["person"].user) == ["declaration.registered", "certificate.printable"]


def test_bell_read_and_read_all(app, client, auth, people):
    user = people["person"].user
    service.notify([user], "test.a", "第一条", "certificates.mine")
    service.notify([user, user], "test.b", "第二条")  # one message per recipient
    db.session.commit()
    auth.login(user)
    page = client.get("/notifications/")
    assert '<span class="count">2</span>' in page.text
    assert "第一条" in page.text and "第二条" in page.text
    first = service.inbox(user)[1]
    response = client.post(f"/notifications/{first.id}/read")
    assert response.status_code == 303 and response.headers["Location"].endswith("/certificates")
    assert '<span class="count">1</span>' in client.get("/notifications/").text
    client.post("/notifications/read-all")
    assert 'class="count"' not in client.get("/notifications/").text
    # Read, never deleted.
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 2
