"""Each county runs itself inside one instance (issue 24.1-3): a new record takes the right
county, the numbers are the county's series, a job works in the county it was asked for, and
a service acting on a record uses that record's county's settings and calendar."""

import io
import json
from datetime import UTC, date, datetime

import openpyxl
import sqlalchemy as sa

from portal.accounts.models import Professional, Role
from portal.certificates import service as certificates
from portal.declarations.models import Declaration
from portal.exchange import service as exchange
from portal.extensions import db
from portal.jobs import service as jobs
from portal.jobs.models import Job
from portal.jurisdictions import scope
from portal.providers.models import PlanForm, TrainingPlan
from portal.settings import get_setting, set_setting
from portal.storage import files
from portal.workdays import service as workdays
from portal.workdays.models import WorkdayOverride
from tests.conftest import logged_in
from tests.jurisdictions.conftest import CITY, A, B


def test_a_record_takes_its_parents_county_whoever_acts(
    two_counties, make_unit, make_professional, make_submitted_declaration
):
    """Created while acting for A (the install's county, a city officer's default), a person
    of B's unit, their declaration and certificate are B's."""
    unit_b = make_unit(jurisdiction_code=B)
    assert unit_b.jurisdiction_code == B
    with scope.use(A):
        person = make_professional(unit=unit_b)
        declaration = make_submitted_declaration(person)
        certificate = certificates.ensure_certificate(person)
    assert person.jurisdiction_code == B
    assert declaration.jurisdiction_code == B
    assert certificate.jurisdiction_code == B
    # a freelancer (no unit): the county acted for (the registration page's, the officer's)
    with scope.use(B):
        freelancer = make_professional(unit=None)
    assert freelancer.jurisdiction_code == B


def test_a_record_given_only_its_parents_id_takes_its_county(two_counties, make_unit, make_user):
    unit_id = make_unit(jurisdiction_code=B).id
    db.session.expunge_all()
    plan = TrainingPlan(
        unit_id=unit_id, title="内部培训", subject="professional", form=PlanForm.FACE,
        start_date=date(2031, 3, 1), end_date=date(2031, 3, 2), days=2, hours_per_day=6,
        filed_on=date(2031, 1, 1),
    )  # fmt: skip
    db.session.add(plan)
    db.session.flush()
    assert plan.jurisdiction_code == B
    reviewer = make_user(Role.UNIT_REVIEWER, unit_id=unit_id)
    assert reviewer.jurisdiction_code == B


def test_each_county_numbers_its_own_certificates(two_counties, make_unit, make_professional):
    now = datetime.now(UTC)
    a_person = make_professional(unit=make_unit())
    b_people = [make_professional(unit=make_unit(jurisdiction_code=B)) for _ in range(2)]
    numbers = [certificates.ensure_certificate(p).number for p in (a_person, *b_people)]
    year = datetime.now(UTC).year
    assert numbers == [f"341822-{year}-000001", f"{B}-{year}-000001", f"{B}-{year}-000002"]
    with scope.use(A):  # acting for A: B's series goes on past what A can see
        assert certificates.next_numbers(now, county=B) == [f"{B}-{year}-000003"]
    assert exchange.county(B) == {"name": "郎溪县人力资源和社会保障局", "code": B}
    assert exchange.county(A)["code"] == "341822"


def test_a_verification_is_numbered_in_its_persons_county(app, two_counties, make_unit, make_user,
                                                          make_professional, make_registered_declaration):  # fmt: skip
    from portal.units.models import Authority, TitleLevel, TitleSeries
    from portal.verification import service as verification
    from portal.verification.models import VerificationKind

    series = TitleSeries(name="中小学教师", authority=Authority(name="教体局"))
    db.session.add(series)
    person = make_professional(unit=make_unit(jurisdiction_code=B))
    for year in range(2021, 2026):
        make_registered_declaration(
            person, year, rule_set="anhui-2025" if year >= 2025 else "hefei-2021"
        )
    officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=B)
    request = verification.Request(
        kind=VerificationKind.CYCLE, series=series, level=TitleLevel.INTERMEDIATE,
        application_year=2026, first_year=2021, last_year=2025, cross_major=False,
    )  # fmt: skip
    with scope.use(B):
        issued = verification.issue(officer, person, request)
    assert issued.jurisdiction_code == B
    assert issued.number.startswith(f"YZ{B}-")


def test_a_job_works_in_the_county_that_asked_for_it(
    app, two_counties, make_unit, make_user, make_professional, make_registered_declaration
):
    """An export asked for by B's officer holds B's records only, whatever process runs it
    (here: run outside any request, as the consumer does)."""
    for code, name in ((A, "甲县人"), (B, "乙县人")):
        person = make_professional(unit=make_unit(jurisdiction_code=code), name=name)
        make_registered_declaration(person, 2025)
    officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=B)
    from portal.exchange import tasks

    job = jobs.submit(officer, tasks.EXPORT_KIND, "导出", lambda _id: None, year=2025, fmt="json")
    db.session.commit()
    assert job.jurisdiction_code == B
    jobs.run(job.id, tasks.export_work)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.message.startswith("已导出"), job.message
    text = files.store().get(files.JOBS, job.result_file).decode()
    assert "乙县人" in text and "甲县人" not in text
    assert json.loads(text)["county"]["code"] == B


def test_a_periodic_countys_work_runs_once_per_county(app, two_counties):
    seen = []

    def work(job, progress):
        seen.append((job.jurisdiction_code, scope.counties(), scope.home_county()))
        return ""

    assert jobs.SCHEDULE["publicity.close"].per_county
    assert not jobs.SCHEDULE["backup.nightly"].per_county
    job = jobs.run_periodic("publicity.close", work)
    assert sorted(seen) == [(code, (code,), code) for code in sorted(("340102", B, A))]
    assert job.jurisdiction_code == A
    seen.clear()
    jobs.run_periodic("backup.nightly", work)
    assert len(seen) == 1 and seen[0][1] is None  # the instance's work: once, unscoped


def test_each_county_keeps_its_own_calendar(two_counties, make_user):
    a_officer = make_user(Role.BUREAU_OFFICER)
    b_officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=B)
    with scope.use(B):
        workdays.add_day(b_officer, date(2031, 1, 6), False, "乙县")
    with scope.use(A):
        workdays.add_day(a_officer, date(2031, 1, 6), True, "甲县")  # the same day, its own
        assert workdays.overrides() == {date(2031, 1, 6): True}
    assert workdays.overrides(B) == {date(2031, 1, 6): False}
    assert workdays.overrides() == {date(2031, 1, 6): True}  # unscoped: the install's county
    assert db.session.scalar(sa.select(sa.func.count(WorkdayOverride.id))) == 2


def test_the_city_officer_acts_with_the_records_countys_settings(
    app, two_counties, make_unit, make_user, make_professional, make_submitted_declaration
):
    """A city officer's request reads the settings of the county of the declaration it opens
    (its city's default where the county has none)."""
    set_setting("HIGHEST_ONLY_SCOPE", "claim", B)
    set_setting("HIGHEST_ONLY_SCOPE", "clause", CITY)
    db.session.commit()
    city = make_user(Role.CITY_OFFICER, jurisdiction_code=CITY)
    person = make_professional(unit=make_unit(jurisdiction_code=B))
    declaration = make_submitted_declaration(person)
    seen = {}

    @app.get("/_settings_probe/<int:ident>")
    def probe(ident):
        from portal.review import service as review

        seen["before"] = get_setting("HIGHEST_ONLY_SCOPE")
        review.scope.act_on(db.session.get(Declaration, ident))
        seen["after"] = get_setting("HIGHEST_ONLY_SCOPE")
        return "ok"

    logged_in(app, city).get(f"/_settings_probe/{declaration.id}")
    assert seen == {"before": "clause", "after": "claim"}
    # the person acts in their record's county, whatever their account was made in
    person.user.jurisdiction_code = A
    db.session.commit()
    logged_in(app, person.user).get(f"/_settings_probe/{declaration.id}")
    assert seen == {"before": "claim", "after": "claim"}


def test_a_county_officers_export_and_statistics_count_only_the_county(
    app, two_counties, make_unit, make_user, make_professional, make_registered_declaration
):
    for code in (A, A, B):
        make_registered_declaration(make_professional(unit=make_unit(jurisdiction_code=code)), 2025)
    officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=B)
    response = logged_in(app, officer).get("/stats/export.xlsx?year=2025")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    people = [row[1] for row in sheet.iter_rows(values_only=True) if row and row[0] == "在册人数"]
    assert people == [1]  # B's one person, not the county A's two
    assert Professional.query.count() == 3


def test_the_admin_places_a_new_unit_and_a_new_officer_in_a_county(app, two_counties, make_user):
    from portal.accounts.models import User
    from portal.units.models import Unit

    client = logged_in(app, make_user(Role.ADMIN))
    form = client.get("/admin/units/new").get_data(as_text=True)
    assert 'name="jurisdiction"' in form and "郎溪县" in form
    from portal.accounts.idnumbers import make_uscc

    response = client.post(
        "/admin/units/new",
        data={"name": "郎溪县中学", "uscc": make_uscc("12341821MB0000001"),
              "type": "institution", "jurisdiction": B},
    )  # fmt: skip
    assert response.status_code == 303
    assert Unit.query.filter_by(name="郎溪县中学").one().jurisdiction_code == B
    account = {"username": "langxi", "name": "郎溪经办人", "role": "bureau_officer",
               "password": "Passw0rd!x", "confirm": "Passw0rd!x"}  # fmt: skip
    refused = client.post("/admin/users/new", data={**account, "jurisdiction": CITY})
    assert refused.status_code == 422 and "请选择账号所属的县（市、区）" in refused.text
    assert client.post("/admin/users/new", data={**account, "jurisdiction": B}).status_code == 303
    assert User.query.filter_by(username="langxi").one().jurisdiction_code == B
    # the read-only provincial account belongs to the province, nothing below it
    viewer = {**account, "username": "anhui", "name": "省厅经办人", "role": "province_viewer"}
    refused = client.post("/admin/users/new", data={**viewer, "jurisdiction": CITY})
    assert refused.status_code == 422 and "请选择账号所属的省" in refused.text
    assert (
        client.post("/admin/users/new", data={**viewer, "jurisdiction": "340000"}).status_code
        == 303
    )
    assert User.query.filter_by(username="anhui").one().jurisdiction_code == "340000"


def test_a_code_taken_in_another_county_is_refused_not_a_crash(
    app, two_counties, make_unit, make_user, make_professional
):
    """Credit codes, ID numbers and filing numbers are unique in the instance: a county that
    cannot see the other county's record is told it is another county's (nothing more), and a
    filing number goes on past the other county's."""
    from portal.accounts.idnumbers import make_id_number
    from portal.providers import service as providers
    from tests.exchange.test_exchange import roster

    unit_a = make_unit(name="甲县单位")
    person_a = make_professional(unit=unit_a, name="甲县人")
    officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=B)
    client = logged_in(app, officer)
    response = client.post(
        "/admin/units/new", data={"name": "同码单位", "uscc": unit_a.uscc, "type": "institution"}
    )
    assert response.status_code == 422
    assert "该统一社会信用代码已被其他县（市、区）的单位使用" in response.text
    assert "甲县单位" not in response.text
    with scope.use(B):
        summary = exchange.import_people(
            roster([["甲县人", person_a.id_number, "", "", "", "", "", ""],
                    ["某人", make_id_number(date(1990, 1, 1), 7), "", "", unit_a.uscc, "事业单位",
                     "", ""]]),
            user=officer,
        )  # fmt: skip
    messages = [error["message"] for error in summary.errors]
    assert any("人员档案在其他县（市、区）" in m for m in messages), messages
    assert any("单位属于其他县（市、区）" in m for m in messages), messages
    assert not any("甲县" in m for m in messages)
    assert not summary.applied
    a_plan = TrainingPlan(
        title="甲县培训", subject="professional", form=PlanForm.FACE, start_date=date(2031, 3, 1),
        end_date=date(2031, 3, 2), days=2, hours_per_day=6, filed_on=date(2031, 1, 1),
        filing_no="BA2031-0001", jurisdiction_code=A,
    )  # fmt: skip
    db.session.add(a_plan)
    db.session.commit()
    with scope.use(B):
        assert providers.next_filing_no(2031) == "BA2031-0002"
