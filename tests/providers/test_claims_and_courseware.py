"""Training claims and filing (the unfiled flag and the bureau's setting), courseware records,
units filing their own trainings, and the page flow from list to the person's declaration."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.declarations import service as declarations
from portal.declarations.models import Claim, ClaimDecision
from portal.extensions import db
from portal.providers import lists, service
from portal.providers.models import CoursewareRecord, ListRowStatus, PlanState
from portal.refusal import Refusal
from portal.review import service as review
from portal.settings import set_setting
from tests.providers.conftest import list_file


@pytest.fixture
def reviewed(make_unit, make_user, make_professional, make_submitted_declaration):
    unit = make_unit()
    person = make_professional(unit=unit)
    claims = (
        {"kind": "training", "facts": {"days": 2}, "subject": "professional"},
        {"kind": "training", "facts": {"days": 1}, "subject": "professional",
         "details": {"plan_no": "BA2026-0001"}},
        {"kind": "training", "facts": {"days": 1}, "subject": "general"},
    )  # fmt: skip
    declaration = make_submitted_declaration(person, claims=claims)
    return declaration, make_user(Role.UNIT_REVIEWER, unit=unit)


def test_unfiled_professional_training_counts_zero_unless_accepted_as_filed_elsewhere(
    app, reviewed, make_provider_user, make_plan
):
    """Issue 22.1 (001 三, 003 二): by default an unfiled professional training counts 0, the
    reviewer sees why, and accepts it only as filed outside the county with a written why."""
    declaration, reviewer = reviewed
    unfiled, filed, general = declaration.claims
    make_plan(make_provider_user())  # BA2026-0001, accepted
    set_setting("UNFILED_TRAINING_REFUSED", True)  # the shipped default (tests/test_app.py)
    with app.test_request_context():
        notes = review.filing_notes(declaration)
        assert set(notes) == {unfiled.id}
        [(css, badge, text)] = notes[unfiled.id]
        assert css == "err" and badge == "未备案" and "计0学时" in text
        declared, _ = review.declared_result(declaration)
        row = {r.key: r for r in declared.claims}[str(unfiled.id)]
        assert row.counted_hours == 0 and row.reason == "unfiled" and "备案" in row.reason_text
        # The person's own page evaluates the same way (before submission too).
        own = declarations.evaluation(declaration, store=False).by_claim[unfiled.id]
        assert (own.counted_hours, own.reason) == (0, "unfiled")
        with pytest.raises(Refusal, match="县外备案"):
            review.decide_claim(reviewer, unfiled, ClaimDecision.ACCEPTED)
        with pytest.raises(Refusal, match="写明依据"):
            review.decide_claim(
                reviewer, unfiled, ClaimDecision.ACCEPTED, filed_elsewhere="provincial"
            )
        with pytest.raises(Refusal, match="选择"):
            review.decide_claim(
                reviewer, unfiled, ClaimDecision.ACCEPTED, reason="x", filed_elsewhere="moon"
            )
        review.decide_claim(
            reviewer,
            unfiled,
            ClaimDecision.ACCEPTED,
            reason="省级继续教育基地结业证书",
            filed_elsewhere="provincial",
        )
        assert unfiled.filed_elsewhere == "provincial"
        assert unfiled.decision_reason.startswith("县外备案（省级继续教育基地培训）")
        review.decide_claim(reviewer, filed, ClaimDecision.ACCEPTED)
        review.decide_claim(reviewer, general, ClaimDecision.ACCEPTED)
        accepted = {r.key: r for r in review.accepted_year(declaration).claims}
        assert accepted[str(unfiled.id)].counted_hours == unfiled.hours > 0
        assert review.filing_notes(declaration)[unfiled.id][0][1] == "县外备案"


def test_the_bureau_may_go_back_to_flag_only(app, reviewed, make_provider_user, make_plan):
    declaration, reviewer = reviewed
    unfiled = declaration.claims[0]
    make_plan(make_provider_user())
    set_setting("UNFILED_TRAINING_REFUSED", False)
    with app.test_request_context():
        [(css, _, text)] = review.filing_notes(declaration)[unfiled.id]
        assert css == "warn" and "仅提示" in text
        declared, _ = review.declared_result(declaration)
        assert {r.key: r for r in declared.claims}[str(unfiled.id)].counted_hours > 0
        review.decide_claim(reviewer, unfiled, ClaimDecision.ACCEPTED)
        assert unfiled.filed_elsewhere == ""


def test_a_refused_plan_number_is_not_a_filing(app, reviewed, make_provider_user, make_plan):
    declaration, _ = reviewed
    make_plan(make_provider_user(), state=PlanState.REFUSED)
    with app.test_request_context():
        assert len(review.filing_notes(declaration)) == 2


def test_search_finds_accepted_plans_by_number_or_title(app, client, auth, make_provider_user,
                                                       make_plan, make_professional):  # fmt: skip
    user = make_provider_user()
    make_plan(user)
    make_plan(user, state=PlanState.PENDING, title="待审核的培训")
    auth.login(make_professional().user)
    by_number = client.get("/providers/plans/search?q=ba2026")
    assert "BA2026-0001" in by_number.text and "待审核" not in by_number.text
    assert "BA2026-0001" in client.get("/providers/plans/search?q=信息技术").text


COURSEWARE_HEADER = "身份证号码,姓名,课程名称,标定学时,科目,学习日期,考试成绩\n"


def test_courseware_records_become_prepared_claims(app, runner, tmp_path, make_professional,
                                                   make_provider_user):  # fmt: skip
    person = make_professional()
    year = date.today().year
    rows = [
        f"{person.id_number},{person.name},习近平法治思想,3,公需科目,{year}-03-01,85",
        f"{person.id_number},{person.name},习近平法治思想,3,公需科目,{year}-03-01,85",  # repeat
        f"{person.id_number},{person.name},安全生产,,专业,{year}/04/02,",
        f"{person.id_number},别人,安全生产,2,专业,{year}-04-03,",
        f"{person.id_number},{person.name},,2,其他,昨天,120",
    ]
    path = tmp_path / "records.csv"
    path.write_text(COURSEWARE_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(args=["providers", "import-courseware", str(path)])
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [e["row"] for e in errors] == [3, 5, 6, 6, 6, 6]
    result = runner.invoke(args=["providers", "import-courseware", str(path), "--clean-rows"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["matched"] == 2
    again = runner.invoke(args=["providers", "import-courseware", str(path), "--clean-rows"])
    assert json.loads(again.stdout)["unchanged"] == 2
    with app.app_context():
        claims = db.session.scalars(sa.select(Claim).order_by(Claim.id)).all()
        assert [(c.kind, c.subject, c.hours, c.source) for c in claims] == [
            ("courseware", "general", 3, "courseware"),
            ("courseware", "professional", 1, "courseware"),
        ]
        assert db.session.scalar(sa.select(sa.func.count(CoursewareRecord.id))) == 2


def test_courseware_excel_by_a_provider_page(app, client, auth, make_professional,
                                             make_provider_user):  # fmt: skip
    from io import BytesIO

    from openpyxl import Workbook

    person = make_professional()
    book = Workbook()
    book.active.append(COURSEWARE_HEADER.strip().split(","))
    book.active.append([person.id_number, person.name, "课程", 2, "专业科目", date.today(), 90])
    out = BytesIO()
    book.save(out)
    auth.login(make_provider_user())
    response = client.post(
        "/providers/courseware", data={"file": (BytesIO(out.getvalue()), "records.xlsx")}
    )
    assert response.status_code == 303  # to the import's page: the job ran (immediate mode)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "报送1条" in page.text and "已完成" in page.text
    with app.app_context():
        record = db.session.scalar(sa.select(CoursewareRecord))
        assert record.status is ListRowStatus.MATCHED and record.provider_id is not None


def test_a_unit_files_its_own_training(app, make_unit, make_user, make_professional):
    unit = make_unit()
    reviewer, officer = make_user(Role.UNIT_REVIEWER, unit=unit), make_user(Role.BUREAU_OFFICER)
    person = make_professional(unit=unit)
    start = date(date.today().year - 1, 3, 2)
    data = {
        "title": "本单位内部业务培训", "subject": "professional", "series": "", "start_date": start,
        "end_date": start, "days": 1, "hours_per_day": 6, "place": "", "form": "face",
        "expected_trainees": 10, "teachers": "",
    }  # fmt: skip
    with app.test_request_context():
        plan = service.file_plan(reviewer, data, filed_on=date(start.year, 1, 5))
        assert plan.unit_id == unit.id and plan.organiser_name == unit.name
        service.decide_plan(officer, plan, True)
        content = list_file([(person.name, unit.name, person.id_number, "", 6, "合格")])
        summary = lists.import_list(reviewer, plan, content, "list.xlsx")
        assert summary.matched == 1
        assert service.plans(reviewer) == [plan]
        other = make_user(Role.UNIT_REVIEWER, unit=make_unit())
        with pytest.raises(Refusal):
            lists.import_list(other, plan, content, "list.xlsx")


def test_from_list_to_the_person_page(app, client, auth, make_provider_user, make_plan,
                                      make_professional):  # fmt: skip
    from io import BytesIO

    user = make_provider_user()
    plan = make_plan(user)
    person = make_professional()
    auth.login(user)
    template = client.get(f"/providers/plans/{plan.id}/template.xlsx")
    assert template.status_code == 200 and template.data.startswith(b"PK")
    bad = list_file([(person.name, "", person.id_number, "", 50, "合格")])  # more than 12
    response = client.post(
        f"/providers/plans/{plan.id}/list", data={"file": (BytesIO(bad), "list.xlsx")}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "第6行" in page and "未导入任何行" in page
    good = list_file([(person.name, "", person.id_number, "", 12, "合格")])
    response = client.post(
        f"/providers/plans/{plan.id}/list", data={"file": (BytesIO(good), "list.xlsx")}
    )
    assert response.status_code == 303
    assert "报送1人" in client.get(response.headers["Location"]).text
    assert "已报送" in client.get(f"/providers/plans/{plan.id}").text
    assert "1人（报送1人）" in client.get("/providers/").text  # the home lists what was sent
    auth.logout()
    auth.login(person.user)
    page = client.get(f"/declarations/{plan.end_date.year}")
    assert "由施教机构报送" in page.text and plan.filing_no in page.text
    with app.app_context():
        claim_id = db.session.scalar(sa.select(Claim.id))
    assert f'/claims/{claim_id}"' not in page.text  # no edit link: the hours are locked
    assert "放弃" in page.text


def test_a_years_claim_is_offered_only_that_years_plans(
    app, client, auth, make_provider_user, make_plan, make_professional
):
    """20.15: a 2025 claim's 备案号 suggestions leave out the plans held in other years."""
    user = make_provider_user()
    make_plan(
        user, start_date=date(2025, 12, 30), end_date=date(2026, 1, 2), filing_no="BA2025-0009"
    )
    make_plan(user, start_date=date(2024, 5, 1), end_date=date(2024, 5, 2), filing_no="BA2024-0001")
    make_plan(user, start_date=date(2026, 5, 1), end_date=date(2026, 5, 2), filing_no="BA2026-0007")
    person = make_professional()
    auth.login(person.user)
    client.post("/declarations/open", data={"year": "2025"})
    form = client.get("/declarations/2025/claims/new?kind=training").text
    assert "/providers/plans/search?year=2025" in form
    options = client.get("/providers/plans/search?year=2025&q=BA").text
    assert "BA2025-0009" in options
    assert "BA2024-0001" not in options and "BA2026-0007" not in options
    assert "BA2024-0001" in client.get("/providers/plans/search?q=BA").text  # no year: all
