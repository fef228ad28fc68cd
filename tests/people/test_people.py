"""People over time: employment moves, titles, and `flask people show`."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts import people
from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import Employment, Role
from portal.audit.models import AuditEvent
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.refusal import Refusal
from portal.units.models import Authority, TitleLevel, TitleSeries, UnitType


@pytest.fixture
def officer(make_user):
    return make_user(Role.BUREAU_OFFICER)


def test_move_closes_the_open_period_and_follows_the_current_unit(
    make_professional, make_unit, officer
):
    school = make_unit(type=UnitType.INSTITUTION)
    firm = make_unit(type=UnitType.PRIVATE_ENTERPRISE)
    person = make_professional(unit=None)
    people.move(officer, person, school, date(2015, 9, 1))
    assert person.unit_id == school.id
    people.move(officer, person, firm, date(2023, 3, 1))
    people.move(officer, person, None, date(2024, 1, 1))
    rows = [(e.unit_id, e.started_on, e.ended_on) for e in person.employments]
    assert rows == [
        (school.id, date(2015, 9, 1), date(2023, 2, 28)),
        (firm.id, date(2023, 3, 1), date(2023, 12, 31)),
        (None, date(2024, 1, 1), None),
    ]
    assert person.unit_id is None and person.reviewed_by_bureau
    details = db.session.scalars(
        sa.select(AuditEvent.detail).where(AuditEvent.action == "person.moved")
    ).all()
    assert details[-1] == f"{firm.name} → 自由职业，自2024-01-01起"


def test_move_same_day_replaces_and_earlier_or_same_unit_is_refused(
    make_professional, make_unit, officer
):
    a, b = make_unit(), make_unit()
    person = make_professional(unit=None)
    people.move(officer, person, a, date(2020, 1, 1))
    people.move(officer, person, b, date(2020, 1, 1))  # corrected on the day
    assert [(e.unit_id, e.ended_on) for e in person.employments] == [(b.id, None)]
    with pytest.raises(Refusal, match="须晚于"):
        people.move(officer, person, a, date(2019, 12, 31))
    with pytest.raises(Refusal, match="已在此单位"):
        people.move(officer, person, b, date(2021, 1, 1))


def test_registration_opens_an_employment_period(client, make_unit, app):
    from portal.accounts import service
    from portal.accounts.idnumbers import make_id_number

    unit = make_unit()
    user = service.register(
        service.Registration(
            id_number=make_id_number(date(1990, 5, 5), 7),
            name="新人",
            phone="13900000000",
            unit_id=unit.id,
            title_series="教师",
            title_level="中级",
            title_name="",
            password="x",
        )
    )
    person = user.professional
    assert [(e.unit_id, e.ended_on) for e in person.employments] == [(unit.id, None)]
    assert person.unit_id == unit.id


def test_add_title_checks_dates(make_professional, officer):
    authority = Authority(name="市教体局")
    series = TitleSeries(name="教师", authority=authority)
    db.session.add(series)
    person = make_professional()
    with pytest.raises(Refusal, match="聘任时间不能早于取得时间"):
        people.add_title(
            officer, person, series, TitleLevel.INTERMEDIATE, date(2020, 1, 1), date(2019, 1, 1)
        )
    title = people.add_title(
        officer, person, series, TitleLevel.INTERMEDIATE, date(2020, 1, 1), date(2020, 9, 1)
    )
    assert person.titles == [title] and title.series.authority.name == "市教体局"


def test_people_show_prints_the_record_masked(
    runner, make_professional, make_unit, make_submitted_declaration, officer
):
    unit = make_unit(name="示范县第一中学")
    person = make_professional(unit=None, name="王晓梅")
    people.move(officer, person, unit, date(2015, 9, 1))
    series = TitleSeries(name="教师", authority=Authority(name="市教体局"))
    db.session.add(series)
    people.add_title(officer, person, series, TitleLevel.INTERMEDIATE, date(2018, 3, 1))
    make_submitted_declaration(
        person,
        year=2024,
        status=DeclarationStatus.REGISTERED,
        general_hours=30,
        professional_hours=60,
        unit_id=unit.id,
    )
    db.session.commit()
    result = runner.invoke(args=["people", "show", person.id_number.lower()])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert person.id_number not in result.output
    assert data["name"] == "王晓梅" and data["id_number"] == person.masked_id_number
    assert data["titles"] == [
        {"series": "教师", "level": "中级", "name": "", "obtained": "2018-03-01", "appointed": None}
    ]
    assert data["employment"] == [{"unit": "示范县第一中学", "from": "2015-09-01", "to": None}]
    assert data["years"] == [
        {
            "year": 2024,
            "general": 30,
            "professional": 60,
            "status": "已登记",
            "unit": "示范县第一中学",
            "source": "portal",
        }
    ]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (make_id_number(date(1990, 1, 1), 9), "没有该身份证号码的人员记录"),
        ("12345", "身份证号码应为18位"),
        ("340102199001011234", "请核对校验位"),
    ],
)
def test_people_show_refuses_unknown_or_invalid(runner, app, argument, message):
    result = runner.invoke(args=["people", "show", argument])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_demo_has_moves_and_a_transfer_in(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        moved = db.session.scalars(
            sa.select(Employment).where(Employment.ended_on.is_not(None))
        ).all()
        assert len(moved) == 3  # two earlier units, and 于洋's move in 2025 (issue 22.6)
