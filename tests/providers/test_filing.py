"""Plan filing: the lead time on the working-day calendar, the bureau's decision, the filing
number, and who sees which plan."""

from datetime import date

import pytest

from portal.accounts.models import Role
from portal.extensions import db
from portal.providers import service
from portal.providers.models import PlanState
from portal.refusal import Refusal
from portal.settings import set_setting


def plan_data(start, end=None, **kwargs):
    return {
        "title": "专业科目培训",
        "subject": "professional",
        "series": "教师",
        "start_date": start,
        "end_date": end or start,
        "days": 1,
        "hours_per_day": 6,
        "place": "合肥",
        "form": "face",
        "expected_trainees": 50,
        "teachers": "张老师",
        **kwargs,
    }


# (start, lead, last day to file): 日 are calendar days; a last day that is a rest day moves back
# to the nearest working day before it.
EDGES = [
    # 2026-03-20 (Friday) − 15 = 2026-03-05, a Thursday: itself
    (date(2026, 3, 20), 15, date(2026, 3, 5)),
    # 2025-10-16 − 15 = 2025-10-01, National Day: back to Tuesday 2025-09-30
    (date(2025, 10, 16), 15, date(2025, 9, 30)),
    # 2025-10-13 − 15 = 2025-09-28, a Sunday that is a make-up working day (调休): itself
    (date(2025, 10, 13), 15, date(2025, 9, 28)),
    # 2026-03-23 (Monday) − 15 = 2026-03-08, a Sunday: back to Friday 2026-03-06
    (date(2026, 3, 23), 15, date(2026, 3, 6)),
    # seed 002: 30 days; 2026-04-30 − 30 = 2026-03-31, a Tuesday
    (date(2026, 4, 30), 30, date(2026, 3, 31)),
]


@pytest.mark.parametrize(("start", "lead", "last"), EDGES, ids=[str(e[0]) for e in EDGES])
def test_lead_time_edges(app, make_provider_user, start, lead, last):
    user = make_provider_user()
    with app.test_request_context():
        set_setting("TRAINING_PLAN_LEAD_DAYS", lead)
        assert service.last_filing_day(start) == last
        plan = service.file_plan(user, plan_data(start), filed_on=last)
        assert plan.state is PlanState.PENDING
        next_day = date.fromordinal(last.toordinal() + 1)
        with pytest.raises(Refusal) as refused:
            service.file_plan(user, plan_data(start), filed_on=next_day)
        assert f"最迟应于{last:%Y年%m月%d日}提交" in refused.value.message
        assert f"开始前{lead}日" in refused.value.message


def test_a_bureau_rest_day_moves_the_last_day(app, make_provider_user, make_user):
    from portal.workdays import service as workdays

    user = make_provider_user()
    with app.test_request_context():
        workdays.add_day(make_user(Role.BUREAU_OFFICER), date(2026, 3, 5), False, "测试")
        assert service.last_filing_day(date(2026, 3, 20), 15) == date(2026, 3, 4)
        with pytest.raises(Refusal):
            service.file_plan(user, plan_data(date(2026, 3, 20)), filed_on=date(2026, 3, 5))


def test_inconsistent_dates_are_refused(app, make_provider_user):
    user = make_provider_user()
    with app.test_request_context():
        with pytest.raises(Refusal, match="结束日期"):
            service.file_plan(user, plan_data(date(2026, 6, 2), date(2026, 6, 1)), date(2026, 1, 1))
        with pytest.raises(Refusal, match="培训天数"):
            service.file_plan(user, plan_data(date(2026, 6, 1), days=3), date(2026, 1, 1))


def test_accept_gives_filing_numbers_refuse_needs_a_reason(app, make_provider_user, make_user):
    user, officer = make_provider_user(), make_user(Role.BUREAU_OFFICER)
    with app.test_request_context():
        first = service.file_plan(user, plan_data(date(2026, 6, 1)), filed_on=date(2026, 1, 5))
        second = service.file_plan(user, plan_data(date(2026, 7, 1)), filed_on=date(2026, 1, 5))
        third = service.file_plan(user, plan_data(date(2026, 8, 1)), filed_on=date(2026, 1, 5))
        with pytest.raises(Refusal):
            service.decide_plan(user, first, True)  # a provider does not decide
        service.decide_plan(officer, first, True)
        service.decide_plan(officer, second, True)
        assert (first.filing_no, second.filing_no) == ("BA2026-0001", "BA2026-0002")
        with pytest.raises(Refusal, match="理由"):
            service.decide_plan(officer, third, False, "  ")
        service.decide_plan(officer, third, False, "培训内容与专业科目无关")
        assert third.state is PlanState.REFUSED and third.filing_no is None
        with pytest.raises(Refusal) as again:
            service.decide_plan(officer, first, False, "重复")
        assert again.value.status == 409
        assert [p["number"] for p in map(service.as_json, service.plans(None, PlanState.ACCEPTED))]


def test_a_provider_sees_only_its_own_plans(app, client, auth, make_provider_user, make_plan):
    mine, other = make_provider_user("甲基地"), make_provider_user("乙基地")
    own_plan = make_plan(mine)
    other_plan = make_plan(other, filing_no="BA2026-0009")
    with app.test_request_context():
        assert service.plans(mine) == [own_plan]
    auth.login(mine)
    page = client.get("/providers/")
    assert own_plan.title in page.text and "BA2026-0009" not in page.text
    assert client.get(f"/providers/plans/{other_plan.id}").status_code == 404
    assert client.get(f"/providers/plans/{other_plan.id}/template.xlsx").status_code == 404
    assert client.post(f"/providers/plans/{other_plan.id}/list").status_code == 404
    assert client.get("/").headers["Location"].endswith("/providers/")


def test_plans_cli(app, runner, make_provider_user, make_plan):
    import json

    make_plan(make_provider_user())
    result = runner.invoke(args=["providers", "plans"])
    assert result.exit_code == 0, result.output
    [plan] = json.loads(result.output)
    assert plan["number"] == "BA2026-0001" and plan["state"] == "accepted"
    assert plan["provider"] == "测试继续教育基地" and set(plan) >= {"title", "start", "end"}


def test_filing_page_and_decision(app, client, auth, make_provider_user, make_user):
    user, officer = make_provider_user(), make_user(Role.BUREAU_OFFICER)
    auth.login(user)
    late = client.post("/providers/plans/new", data={**_form(date.today()), "title": "逾期的培训"})
    assert late.status_code == 422 and "已逾期" in late.text
    response = client.post("/providers/plans/new", data=_form(date(date.today().year + 1, 6, 1)))
    assert response.status_code == 303
    auth.logout()
    auth.login(officer)
    assert "专业科目培训" in client.get("/providers/filings").text
    plan_id = int(response.headers["Location"].rsplit("/", 1)[1])
    decided = client.post(f"/providers/plans/{plan_id}/decide", data={"decision": "accept"})
    assert decided.status_code == 303
    with app.app_context():
        plan = db.session.get(service.TrainingPlan, plan_id)
        assert plan.state is PlanState.ACCEPTED and plan.filing_no.startswith("BA")


def _form(start):
    return {
        "title": "专业科目培训",
        "subject": "professional",
        "series": "教师",
        "start_date": start.isoformat(),
        "end_date": start.isoformat(),
        "days": "1",
        "hours_per_day": "6",
        "form": "face",
        "expected_trainees": "30",
    }


def test_the_admin_edits_the_provider_directory(app, client, auth, make_user):
    from portal.audit.models import AuditEvent
    from portal.units.models import Provider, ProviderLevel

    auth.login(make_user(Role.ADMIN))
    data = {"name": "合肥工业学校", "contact": "陈明", "phone": "62611533", "level": "city"}
    assert client.post("/providers/directory/new", data={**data, "active": "y"}).status_code == 303
    again = client.post("/providers/directory/new", data=data)
    assert again.status_code == 422 and "已有名为" in again.text
    with app.app_context():
        provider = db.session.scalar(db.select(Provider))
        assert (provider.level, provider.active) == (ProviderLevel.CITY, True)
    edited = {**data, "level": "provincial", "active": "y"}
    response = client.post(f"/providers/directory/{provider.id}/edit", data=edited)
    assert response.status_code == 303
    page = client.get("/providers/directory").text
    assert "省级" in page and "62611533" in page
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
        assert {"provider.create", "provider.update"} <= set(actions)


def test_the_programme_file_is_kept_with_the_plan(app, client, auth, make_provider_user):
    from io import BytesIO

    owner, other = make_provider_user("甲基地"), make_provider_user("乙基地")
    auth.login(owner)
    from tests.hostile import plain_pdf

    pdf = plain_pdf()
    data = {**_form(date(date.today().year + 1, 6, 1)), "programme": (BytesIO(pdf), "培训方案.pdf")}
    response = client.post("/providers/plans/new", data=data)
    assert response.status_code == 303
    plan_url = response.headers["Location"]
    assert "培训方案.pdf" in client.get(plan_url).text
    download = client.get(plan_url + "/programme")
    assert download.status_code == 200 and download.data == pdf
    auth.logout()
    auth.login(other)
    assert client.get(plan_url + "/programme").status_code == 404


def test_the_same_plan_filed_twice_is_flagged(app, client, auth, make_provider_user, make_user):
    """20.15: a second filing of the same title and dates warns the filer and the bureau."""
    from tests.conftest import logged_in as login

    user = make_provider_user()
    with app.test_request_context():
        first = service.file_plan(user, plan_data(date(2026, 6, 1)), filed_on=date(2026, 1, 5))
        second = service.file_plan(user, plan_data(date(2026, 6, 1)), filed_on=date(2026, 1, 6))
        other = service.file_plan(user, plan_data(date(2026, 7, 1)), filed_on=date(2026, 1, 6))
        assert service.same_plans(second) == [first] and service.same_plans(other) == []
        db.session.commit()
    page = login(app, make_user(Role.BUREAU_OFFICER)).get(f"/providers/plans/{second.id}").text
    assert "已有同名、同日期的培训计划" in page and f"/providers/plans/{first.id}" in page
    assert "已有同名" not in login(app, user).get(f"/providers/plans/{other.id}").text
