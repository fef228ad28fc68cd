"""Who decides a plan filing (setting PLAN_DECIDED_BY): the bureau by default, or the authority
owning the series the plan serves. An authority officer sees and decides only the plans of its
own series; the bureau then sees them read-only."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.providers import service
from portal.providers.models import PlanState
from portal.refusal import Refusal
from portal.settings import set_setting
from portal.units.models import Authority, TitleSeries


@pytest.fixture
def county(app, make_user, make_provider_user, make_plan):
    """Two authorities (教体局 owns 教师, 经信局 the grouped row 经济、电子信息), their officers,
    the bureau, and pending plans for 教师, 电子信息 and no series."""
    edu, econ = Authority(name="市教体局"), Authority(name="市经信局")
    db.session.add_all(
        [
            TitleSeries(name="教师", authority=edu),
            TitleSeries(name="经济、电子信息", authority=econ),
        ]
    )
    db.session.commit()
    provider = make_provider_user()
    pending = {"state": PlanState.PENDING, "end_date": date.today() + timedelta(days=40)}
    return {
        "edu": make_user(Role.AUTHORITY_OFFICER, authority=edu),
        "econ": make_user(Role.AUTHORITY_OFFICER, authority=econ),
        "officer": make_user(Role.BUREAU_OFFICER),
        "provider": provider,
        "teachers": make_plan(provider, series="教师", title="教师培训", **pending),
        "it": make_plan(provider, series="电子信息", title="电子信息培训", **pending),
        "general": make_plan(provider, series="", title="公需科目培训", **pending),
    }


def authorities_decide(app, on=True):
    with app.test_request_context():
        set_setting("PLAN_DECIDED_BY", "authority" if on else "bureau")
        db.session.commit()


def test_by_default_the_bureau_decides_and_authorities_see_nothing(app, client, auth, county):
    with app.test_request_context():
        plan = db.session.get(type(county["teachers"]), county["teachers"].id)
        assert service.deciding_authority(plan) is None
        assert service.plans(county["edu"]) == []
        with pytest.raises(Refusal) as refused:
            service.decide_plan(county["edu"], plan, True)
        assert refused.value.status == 403
    auth.login(county["edu"])
    page = client.get("/providers/filings?state=all")
    assert page.status_code == 200 and "目前由人社局审核" in page.text
    assert "教师培训" not in page.text
    assert client.get(f"/providers/plans/{county['teachers'].id}").status_code == 404
    response = client.post(
        f"/providers/plans/{county['teachers'].id}/decide", data={"decision": "accept"}
    )
    assert response.status_code == 404
    auth.logout()
    auth.login(county["officer"])
    assert "提交审核意见" in client.get(f"/providers/plans/{county['teachers'].id}").text


def test_the_authority_sees_and_decides_only_its_series(app, client, auth, county):
    authorities_decide(app)
    auth.login(county["edu"])
    nav = client.get("/providers/filings?state=pending")
    assert nav.status_code == 200
    assert 'href="/providers/filings"' in nav.text  # the nav entry
    assert "教师培训" in nav.text and "电子信息培训" not in nav.text
    assert "公需科目培训" not in nav.text
    # Another authority's plan and a plan of no series: not even their existence.
    for other in ("it", "general"):
        assert client.get(f"/providers/plans/{county[other].id}").status_code == 404
        response = client.post(
            f"/providers/plans/{county[other].id}/decide", data={"decision": "accept"}
        )
        assert response.status_code == 404
    page = client.get(f"/providers/plans/{county['teachers'].id}")
    assert page.status_code == 200 and "提交审核意见" in page.text
    refused = client.post(
        f"/providers/plans/{county['teachers'].id}/decide", data={"decision": "refuse"}
    )
    assert refused.status_code == 422 and "不予备案须填写理由" in refused.text
    response = client.post(
        f"/providers/plans/{county['teachers'].id}/decide", data={"decision": "accept"}
    )
    assert response.status_code == 303
    with app.app_context():
        plan = db.session.get(type(county["teachers"]), county["teachers"].id)
        assert plan.state is PlanState.ACCEPTED and plan.filing_no
        assert plan.decided_by_id == county["edu"].id
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "plan.accepted"))
        assert event.user_id == county["edu"].id
        assert "市教体局审核" in event.detail and plan.filing_no in event.detail
    # A decided plan is not decided twice.
    again = client.post(
        f"/providers/plans/{county['teachers'].id}/decide", data={"decision": "accept"}
    )
    assert again.status_code == 409 and "该培训计划已备案，不能再审核" in again.text
    # The grouped row's authority decides its part (电子信息), with a reason when it refuses.
    auth.logout()
    auth.login(county["econ"])
    listed = client.get("/providers/filings?state=all").text
    assert "电子信息培训" in listed and "教师培训" not in listed
    response = client.post(
        f"/providers/plans/{county['it'].id}/decide",
        data={"decision": "refuse", "reason": "培训内容与系列无关"},
    )
    assert response.status_code == 303
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "plan.refused"))
        assert event.detail == "培训内容与系列无关（市经信局审核）"


def test_the_bureau_sees_authority_plans_read_only(app, client, auth, county):
    authorities_decide(app)
    auth.login(county["officer"])
    listed = client.get("/providers/filings?state=pending").text
    assert "教师培训" in listed and "市教体局" in listed and "市经信局" in listed
    page = client.get(f"/providers/plans/{county['teachers'].id}")
    assert page.status_code == 200
    assert "提交审核意见" not in page.text and "由市教体局审核备案" in page.text
    response = client.post(
        f"/providers/plans/{county['teachers'].id}/decide", data={"decision": "accept"}
    )
    assert response.status_code == 403 and "由市教体局审核" in response.text
    # A plan of no series stays with the bureau.
    general = county["general"].id
    assert "提交审核意见" in client.get(f"/providers/plans/{general}").text
    response = client.post(f"/providers/plans/{general}/decide", data={"decision": "accept"})
    assert response.status_code == 303
    with app.app_context():
        plan = db.session.get(type(county["teachers"]), county["teachers"].id)
        assert plan.state is PlanState.PENDING


def test_the_setting_is_on_the_admin_page(app, client, auth, make_user):
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/settings").text
    assert "培训计划备案的审核部门" in page and "职称系列的行业主管部门" in page


def test_the_authority_officer_has_the_filings_in_its_nav(app, client, auth, county):
    auth.login(county["edu"])
    page = client.get("/password").text
    assert 'href="/providers/filings">培训备案审核' in page
    assert 'href="/providers/">培训备案' in page  # its own trainings


def test_an_authority_files_and_reports_its_own_training(
    app, client, auth, county, make_professional
):
    """Seed 000/003: an authority organises trainings too; it files through the same path, the
    bureau decides (never the authority itself, whatever the setting), and it reports the list."""
    from io import BytesIO

    from portal.providers.models import TrainingPlan
    from tests.providers.conftest import list_file

    authorities_decide(app)
    start = date.today() + timedelta(days=40)
    auth.login(county["edu"])
    assert "提交培训计划备案" in client.get("/providers/").text
    form = client.get("/providers/plans/new").text  # the series names to choose from
    assert '<option value="教师">' in form and '<option value="电子信息">' in form
    response = client.post(
        "/providers/plans/new",
        data={
            "title": "全市中小学教师专业科目培训", "subject": "professional", "series": "教师",
            "start_date": start.isoformat(), "end_date": start.isoformat(), "days": "1",
            "hours_per_day": "6", "form": "face", "expected_trainees": "100",
        },
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        plan = db.session.scalar(
            sa.select(TrainingPlan).where(TrainingPlan.authority_id.is_not(None))
        )
        plan_id = plan.id
        assert plan.organiser_name == "市教体局" and plan.provider_id is None
    home = client.get("/providers/").text
    assert "全市中小学教师专业科目培训" in home and "市教体局" in home
    page = client.get(f"/providers/plans/{plan_id}").text
    assert "提交审核意见" not in page  # its own filing: the bureau decides
    assert "全市中小学教师专业科目培训" not in client.get("/providers/filings?state=all").text
    assert (
        client.post(f"/providers/plans/{plan_id}/decide", data={"decision": "accept"}).status_code
        == 403
    )
    auth.logout()
    # Another authority does not see it; the bureau decides it.
    auth.login(county["econ"])
    assert client.get(f"/providers/plans/{plan_id}").status_code == 404
    auth.logout()
    auth.login(county["officer"])
    assert (
        client.post(f"/providers/plans/{plan_id}/decide", data={"decision": "accept"}).status_code
        == 303
    )
    auth.logout()
    # After the training the authority reports who qualified.
    with app.app_context():
        plan = db.session.get(TrainingPlan, plan_id)
        plan.start_date = plan.end_date = date.today() - timedelta(days=2)
        db.session.commit()
        person = make_professional()
        content = list_file([(person.name, "", person.id_number, "", 6, "合格")])
    auth.login(county["edu"])
    response = client.post(
        f"/providers/plans/{plan_id}/list", data={"file": (BytesIO(content), "名单.xlsx")}
    )
    assert response.status_code == 303
    assert "报送1人" in client.get(response.headers["Location"]).text
