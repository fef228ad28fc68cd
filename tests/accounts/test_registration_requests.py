"""A self-registration with an imported person's ID number and name (issue 20.1, 22.7): held as
a request; the stranger sees nothing of the record, the record does not change, the unit's 人员确认
row asks whether it is the person; refused, the ID number is free again; the real person's
activation code always wins."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal.accounts import activation, people, registrations
from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import (
    PersonStatus,
    Professional,
    RegistrationRequest,
    RegistrationStatus,
    Role,
    User,
)
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.units.models import Authority, TitleLevel, TitleSeries
from tests.conftest import PASSWORD
from tests.conftest import logged_in as login

IMPORTED_AT = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


@pytest.fixture
def world(make_unit, make_user, make_professional, make_registered_declaration):
    unit = make_unit(name="示范县第一中学")
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    person = make_professional(
        unit=None, account=False, name="李四", phone="13811112222", created_at=IMPORTED_AT
    )
    people.move(reviewer, person, unit, date(2010, 9, 1))
    series = TitleSeries(name="教师", authority=Authority(name="市教体局"))
    db.session.add(series)
    people.add_title(reviewer, person, series, TitleLevel.INTERMEDIATE, date(2016, 3, 1))
    make_registered_declaration(person, 2024)
    db.session.commit()
    return {"unit": unit, "reviewer": reviewer, "person": person}


def _form(person, **overrides):
    data = {
        "id_number": person.id_number,
        "name": person.name,
        "phone": "13999990000",
        "unit": str(person.unit_id),
        "works_since": "2020-01-01",
        "title_series": "卫生",
        "title_level": "副高级",
        "title_name": "副主任医师",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(overrides)
    return data


def _facts(person_id):
    db.session.expire_all()
    p = db.session.get(Professional, person_id)
    return {
        "status": p.status,
        "user_id": p.user_id,
        "phone": p.phone,
        "unit_id": p.unit_id,
        "titles": [(t.series_id, t.level, t.obtained) for t in p.titles],
        "employments": [(e.unit_id, e.started_on, e.ended_on) for e in p.employments],
        "title_text": (p.title_series, p.title_level, p.title_name),
    }


def _stranger(app, person, **overrides):
    client = app.test_client()
    assert client.post("/register", data=_form(person, **overrides)).status_code == 303
    user = db.session.scalar(sa.select(User).filter_by(username=person.id_number))
    return user, login(app, user)


def test_a_stranger_sees_nothing_and_the_record_does_not_change(app, world):
    person = world["person"]
    before = _facts(person.id)
    user, stranger = _stranger(app, person)
    assert _facts(person.id) == before  # status 已确认, phone, titles, employment, unit
    request = db.session.scalar(sa.select(RegistrationRequest))
    assert (request.user_id, request.status, request.phone) == (
        user.id,
        RegistrationStatus.PENDING,
        "13999990000",
    )
    page = stranger.get("/declarations/")
    assert page.status_code == 200 and "正在等待单位核实" in page.text
    assert "2024" not in page.text and person.masked_id_number not in page.text
    for path in ("/certificates", "/profile/", "/verification/self", "/declarations/2024"):
        assert stranger.get(path).status_code in (403, 404), path
    assert stranger.post("/certificates/print").status_code in (403, 404)


def test_the_units_row_asks_whether_it_is_the_person(app, world):
    person = world["person"]
    _stranger(app, person)
    page = login(app, world["reviewer"]).get("/review/people")
    row = page.text.split('id="request-')[1].split("</tr>")[0]
    assert registrations.CHECK_NOTE in row
    assert "改发激活码" in row
    assert "2024-01-05" not in row  # the time of the registration, not of the import
    assert "与单位登记的工作单位" not in row  # typed the same unit
    # the reviewer hears of it
    from portal.notifications.models import Notification

    assert db.session.scalar(
        sa.select(Notification.kind).where(Notification.user_id == world["reviewer"].id)
    ) == ("registration.pending")


def test_refused_leaves_the_record_as_it_was_and_frees_the_id_number(app, world, make_user):
    person = world["person"]
    before = _facts(person.id)
    user, _ = _stranger(app, person)
    request = db.session.scalar(sa.select(RegistrationRequest))
    reviewer = login(app, world["reviewer"])
    response = reviewer.post(f"/review/people/requests/{request.id}/refuse", data={})
    assert response.status_code == 422 and "请填写不予确认的理由" in response.text
    response = reviewer.post(
        f"/review/people/requests/{request.id}/refuse", data={f"r{request.id}-reason": "非本人"}
    )
    assert response.status_code == 303
    assert _facts(person.id) == before
    closed = db.session.get(User, user.id)
    assert not closed.active and closed.username != person.id_number
    assert db.session.get(RegistrationRequest, request.id).status is RegistrationStatus.REFUSED
    assert db.session.scalar(
        sa.select(AuditEvent.detail).filter_by(action="account.registration_refused")
    ) == ("非本人")
    # the ID number is free: the real person registers (and waits for the unit in turn)
    again = app.test_client().post("/register", data=_form(person, phone="13700000000"))
    assert again.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(RegistrationRequest.id))) == 2


def test_confirmed_links_the_account_and_takes_the_phone(app, world):
    person = world["person"]
    user, stranger = _stranger(app, person)
    request = db.session.scalar(sa.select(RegistrationRequest))
    record_unit = login(app, world["reviewer"])  # the record's unit
    assert record_unit.post(f"/review/people/requests/{request.id}/confirm").status_code == 303
    facts = _facts(person.id)
    assert (facts["user_id"], facts["phone"], facts["status"]) == (
        user.id,
        "13999990000",
        PersonStatus.CONFIRMED,
    )
    assert facts["unit_id"] == world["unit"].id and len(facts["titles"]) == 1
    assert "2024" in stranger.get("/declarations/").text


def test_another_unit_cannot_see_or_decide_the_request(app, world, make_unit, make_user):
    person = world["person"]
    _stranger(app, person)
    request = db.session.scalar(sa.select(RegistrationRequest))
    outsider = login(app, make_user(Role.UNIT_REVIEWER, unit=make_unit()))
    assert 'id="request-' not in outsider.get("/review/people").text
    assert outsider.post(f"/review/people/requests/{request.id}/confirm").status_code == 404
    assert _facts(person.id)["user_id"] is None


def test_the_activation_code_overrides_a_pending_stranger(app, world):
    person = world["person"]
    user, _ = _stranger(app, person)
    code = activation.issue(world["reviewer"], person)
    db.session.commit()
    response = app.test_client().post(
        "/activate",
        data={
            "id_number": person.id_number,
            "code": code,
            "password": "Xk7#mwq9Lp",
            "confirm": "Xk7#mwq9Lp",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert person.user is not None and person.user_id != user.id
    assert not db.session.get(User, user.id).active
    request = db.session.scalar(sa.select(RegistrationRequest))
    assert request.status is RegistrationStatus.SUPERSEDED


def test_a_new_person_works_at_the_unit_since_the_day_typed(app, make_unit):
    """Issue 20.12: the employment history starts when the person says, not on registration."""
    unit = make_unit()
    number = make_id_number(date(1985, 6, 15), 77)
    data = {
        "id_number": number,
        "name": "王小明",
        "phone": "13955550001",
        "unit": str(unit.id),
        "works_since": "2012-08-20",
        "title_series": "教师",
        "title_level": "中级",
        "title_name": "",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    client = app.test_client()
    for value, message in (
        ("", "请填写何时起在该单位工作"),
        ("2999-01-01", "不能晚于今天"),
        ("1990-01-01", "不能早于年满16周岁"),
        ("2012/08/20", "日期格式应为"),
    ):
        response = client.post("/register", data={**data, "works_since": value})
        assert response.status_code == 422 and message in response.text, value
    assert client.post("/register", data=data).status_code == 303
    person = db.session.scalar(sa.select(Professional).filter_by(id_number=number))
    assert [(e.unit_id, e.started_on, e.ended_on) for e in person.employments] == [
        (unit.id, date(2012, 8, 20), None)
    ]
    assert person.status is PersonStatus.PENDING
