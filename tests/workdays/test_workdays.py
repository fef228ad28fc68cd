"""The bureau's calendar page and `flask workdays add`."""

from datetime import date

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.workdays.models import WorkdayOverride

WARNING_2027 = "2027年的国家法定节假日安排尚未收录"


def test_cli_national_day_2025(runner):
    result = runner.invoke(args=["workdays", "add", "2025-09-26", "5"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "2025-10-10"
    assert result.stderr == ""


def test_cli_unknown_year_answers_and_warns(runner):
    result = runner.invoke(args=["workdays", "add", "2027-09-28", "5"])
    assert result.exit_code == 0
    # 09-29, 09-30, (10-01..03 fixed holidays, 10-02/03 weekend), 10-04, 10-05, 10-06
    assert result.stdout.strip() == "2027-10-06"
    assert WARNING_2027 in result.stderr and result.stderr[-1] == "\n"


def test_cli_uses_the_bureaus_days(runner, ctx):
    for day in (date(2027, 10, 4), date(2027, 10, 5)):
        db.session.add(WorkdayOverride(day=day, is_workday=False, note="国庆节"))
    db.session.commit()
    result = runner.invoke(args=["workdays", "add", "2027-09-28", "5"])
    assert result.stdout.strip() == "2027-10-08"
    assert result.stderr == ""  # the bureau entered the year: known


def test_cli_bad_input_exits_2_with_one_line(runner):
    for args in (
        ["2025-13-01", "5"],
        ["2025/09/26", "5"],
        ["2025-09-26", "x"],
        ["2025-09-26", "-1"],
        ["2025-09-26", "0"],
        ["2025-09-26"],
        [],
        ["2025-09-26", "5", "6"],
    ):
        result = runner.invoke(args=["workdays", "add", *args])
        assert result.exit_code == 2, args
        assert result.stdout == "", args
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("错误："), args


def test_page_is_for_bureau_officers(client, auth, make_user, make_unit):
    auth.login(make_user(Role.UNIT_REVIEWER, unit=make_unit()))
    assert client.get("/workdays/").status_code == 403


def test_page_add_edit_delete(client, auth, make_user):
    officer = make_user(Role.BUREAU_OFFICER)
    auth.login(officer)
    page = client.get("/workdays/?year=2025").get_data(as_text=True)
    assert "已收录" in page and WARNING_2027 not in page
    page = client.get("/workdays/?year=2027").get_data(as_text=True)
    assert WARNING_2027 in page

    response = client.post(
        "/workdays/", data={"day": "2027-10-04", "kind": "rest", "note": "国庆节"}
    )
    assert response.status_code == 303 and "year=2027" in response.headers["Location"]
    page = client.get("/workdays/?year=2027").get_data(as_text=True)
    assert "2027-10-04" in page and "国庆节" in page and WARNING_2027 not in page
    response = client.post("/workdays/", data={"day": "2027-10-04", "kind": "work"})
    assert response.status_code == 422 and "已录入" in response.get_data(as_text=True)
    assert client.post("/workdays/", data={"day": "", "kind": ""}).status_code == 422

    override = db.session.scalars(sa.select(WorkdayOverride)).one()
    response = client.post(
        f"/workdays/{override.id}/edit",
        data={"day": "2027-10-04", "kind": "work", "note": "调休上班"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert override.is_workday is True and override.note == "调休上班"
    assert client.post(f"/workdays/{override.id}/delete").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(WorkdayOverride.id))) == 0
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert {"workday.added", "workday.updated", "workday.deleted"} <= set(actions)


def test_calculator(client, auth, make_user):
    auth.login(make_user(Role.BUREAU_OFFICER))
    fragment = client.get(
        "/workdays/calc?start=2025-09-26&n=5", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "2025-10-10" in fragment and "<html" not in fragment
    page = client.get("/workdays/calc?start=2027-09-28&n=5").get_data(as_text=True)
    assert "2027-10-06" in page and WARNING_2027 in page and "<html" in page
    assert client.get("/workdays/calc?start=&n=5").status_code == 422
