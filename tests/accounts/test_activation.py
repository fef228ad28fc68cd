"""Activation codes: handed out by the unit or the bureau, shown once, stored hashed, used once,
expiring; every mismatch gets the same answer and counts towards the address throttle."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts import activation
from portal.accounts.models import ActivationCode, LoginAttempt, PersonStatus, Role
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import Refusal
from tests.conftest import logged_in as login

NEW_PASSWORD = "Xk7#mwq9Lp"


@pytest.fixture
def world(make_unit, make_user, make_professional):
    unit, other = make_unit(), make_unit()
    return {
        "person": make_professional(unit=unit, account=False, name="李四"),
        "ra": make_user(Role.UNIT_REVIEWER, unit=unit),
        "rb": make_user(Role.UNIT_REVIEWER, unit=other),
        "officer": make_user(Role.BUREAU_OFFICER),
    }


def _activate(client, person, code, password=NEW_PASSWORD):
    return client.post(
        "/activate",
        data={
            "id_number": person.id_number,
            "code": code,
            "password": password,
            "confirm": password,
        },
    )


def test_unit_hands_out_a_code_shown_once_and_the_person_activates(app, world):
    person = world["person"]
    page = login(app, world["ra"]).post(f"/people/{person.id}/activation-code")
    assert page.status_code == 200
    code = page.text.split('id="activation-code">')[1].split("<")[0]
    stored = db.session.scalar(sa.select(ActivationCode))
    assert code.replace("-", "") not in stored.code_hash and len(stored.code_hash) == 64
    client = app.test_client()
    response = _activate(client, person, code.lower())  # typed in lower case: still the code
    assert response.status_code == 303
    db.session.expire_all()
    assert person.user is not None and person.status is PersonStatus.CONFIRMED
    assert stored.used_at is not None
    again = _activate(app.test_client(), person, code)
    assert again.status_code == 422 and activation.WRONG in again.text


def test_every_mismatch_gets_the_same_answer(app, world, make_professional):
    person, officer = world["person"], world["officer"]
    activation.issue(officer, person)
    db.session.commit()
    with_account = make_professional()
    answers = set()
    for who, code in (
        (person, "AAAA-BBBB-CCCC"),  # wrong code
        (with_account, "AAAA-BBBB-CCCC"),  # has an account already
    ):
        response = _activate(app.test_client(), who, code)
        assert response.status_code == 422
        answers.add(activation.WRONG in response.text)
    assert answers == {True}
    assert (
        db.session.scalar(
            sa.select(sa.func.count(LoginAttempt.id)).where(LoginAttempt.outcome == "failure")
        )
        == 2
    )


def test_expired_and_replaced_codes_do_not_work(app, world):
    person, officer = world["person"], world["officer"]
    first = activation.issue(officer, person)
    second = activation.issue(officer, person)  # the first stops working
    with pytest.raises(Refusal, match="激活码不正确"):
        activation.activate(person.id_number, first, NEW_PASSWORD, "10.0.0.1")
    later = utcnow() + timedelta(days=activation.VALID_DAYS + 1)
    with pytest.raises(Refusal, match="激活码不正确"):
        activation.activate(person.id_number, second, NEW_PASSWORD, "10.0.0.1", now=later)
    user = activation.activate(person.id_number, second, NEW_PASSWORD, "10.0.0.1")
    assert user.username == person.id_number


def test_the_address_is_throttled(app, world):
    person = world["person"]
    activation.issue(world["officer"], person)
    statuses = []
    for _ in range(30):
        with pytest.raises(Refusal) as refused:
            activation.activate(person.id_number, "WRONG-CODE-0000", NEW_PASSWORD, "10.0.0.9")
        statuses.append(refused.value.status)
        if refused.value.status == 429:
            break
    assert statuses[0] == 422 and statuses[-1] == 429


def test_who_may_hand_out_codes(app, world, make_professional):
    person = world["person"]
    with pytest.raises(Refusal) as refused:
        activation.issue(world["rb"], person)
    assert refused.value.status == 404
    assert activation.issue(world["officer"], person)
    with pytest.raises(Refusal, match="已开通账号"):
        activation.issue(world["officer"], make_professional(unit=person.unit))


def test_a_code_replaces_a_strangers_unconfirmed_self_registration(app, world):
    """A stranger who knows the ID number and name registers first: the account waits for the
    unit, and the code the unit hands the real person replaces it."""
    from portal.accounts import service

    person = world["person"]
    stranger = service.register(
        service.Registration(
            id_number=person.id_number,
            name="李四",
            phone="13900000000",
            unit_id=person.unit_id,
            title_series="教师",
            title_level="中级",
            title_name="",
            password="Stranger#2025",
        ),
        ip="10.0.0.66",
    )
    assert stranger is not None and person.user_id is None  # held as a request
    assert person.status is PersonStatus.CONFIRMED  # the imported record is untouched
    code = activation.issue(world["ra"], person)
    user = activation.activate(person.id_number, code, NEW_PASSWORD, "10.0.0.1")
    db.session.commit()
    db.session.expire_all()
    assert person.user_id == user.id and person.status is PersonStatus.CONFIRMED
    assert person.confirmed_by_id == world["ra"].id
    old = db.session.get(type(user), stranger.id)
    assert not old.active and old.username != person.id_number
    with pytest.raises(Refusal, match="已开通账号"):
        activation.issue(world["ra"], person)  # confirmed now: no more codes
