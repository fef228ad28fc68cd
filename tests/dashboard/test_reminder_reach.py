"""Issue 20.5: 一键提醒 says who could not be reached and why, never sends twice the same day,
and the dashboard exports who is short with what each lacks."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role
from portal.dashboard import service
from portal.extensions import db
from portal.notifications import service as notifications
from portal.units.models import UnitType
from tests.conftest import logged_in as login


@pytest.fixture
def unit(make_unit, make_user, make_professional, make_registered_declaration):
    school = make_unit(name="第一中学", type=UnitType.INSTITUTION)
    people = {
        "with_account": make_professional(unit=school, name="有号甲"),
        "imported": make_professional(unit=school, name="导入乙", account=False),
        "disabled": make_professional(unit=school, name="停用丙"),
        "done": make_professional(unit=school, name="达标丁"),
    }
    people["disabled"].user.active = False
    make_registered_declaration(people["with_account"], 2025, general=20, professional=40)
    make_registered_declaration(people["done"], 2025)
    db.session.commit()
    return {"people": people, "reviewer": make_user(Role.UNIT_REVIEWER, unit=school)}


def test_the_unreachable_are_counted_with_why_and_nobody_gets_two(app, unit):
    client = login(app, unit["reviewer"])
    page = client.post("/dashboard/remind?year=2025", follow_redirects=True).text
    assert "已向 1 名2025年度学时未达标人员发送提醒" in page
    assert "2 人无法在系统内提醒：未开通账号（可发放激活码） 1 人、账号已停用 1 人" in page
    again = client.post("/dashboard/remind?year=2025", follow_redirects=True).text
    assert "已向 0 名" in again and "1 人今天已提醒过，未重复发送" in again
    inbox = notifications.inbox(unit["people"]["with_account"].user)
    assert [n.kind for n in inbox] == ["reminder.short"]


def test_the_periodic_reminder_does_not_repeat_a_units_click(app, unit):
    service.remind_short(unit["reviewer"], 2025)
    outcome = service.remind_county(2025)
    assert (outcome.sent, outcome.already, len(outcome.unreachable)) == (0, 1, 2)


def test_excel_of_who_is_short_with_what_each_lacks(app, unit, make_unit, make_professional):
    make_professional(unit=make_unit(), name="外单位戊")
    response = login(app, unit["reviewer"]).get("/dashboard/short.xlsx?year=2025")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(load_workbook(BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == service.SHORT_COLUMNS
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"有号甲", "导入乙", "停用丙"}
    person = unit["people"]["with_account"]
    assert by_name["有号甲"][1:] == (
        person.masked_id_number,
        person.phone,
        "已登记",
        20,
        40,
        60,
        "总学时差30学时，专业科目差20学时",
        "可以",
    )
    assert by_name["导入乙"][3] == "未申报" and by_name["导入乙"][8] == service.NO_ACCOUNT
    assert by_name["停用丙"][8] == service.DISABLED
    assert person.id_number not in response.data.decode("latin-1")
