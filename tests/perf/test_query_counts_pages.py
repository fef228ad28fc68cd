"""More pages whose number of queries must not grow with their rows (issue 13): the board as
a logged-in officer sees it, the professional's declarations list, the people pages, the
verification list, statistics, the bureau's filings and the unit's dashboard.

Same method as test_query_counts: the page with a few rows, then with many; the SQL statements
counted with `before_cursor_execute` must be equal."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.accounts.models import Employment, PersonTitle, Role
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.providers.models import PlanForm, PlanState, TrainingPlan
from portal.units.models import Authority, Provider, TitleLevel, TitleSeries
from portal.verification import service as verification
from portal.verification.models import VerificationKind
from tests.perf.test_query_counts import FEW, MANY, TRAINING, _approved, _publicise, queries
from tests.perf.test_query_counts_stats import recompute


@pytest.fixture
def units(make_unit):
    """n people, each in a unit of their own (a lazy load per row would show)."""

    def make(n):
        return [make_unit(name=f"县直单位{i}") for i in range(n)]

    return make


def test_logged_in_board_queries_do_not_grow(
    app, client, auth, make_user, make_professional, units, make_submitted_declaration
):
    officer = make_user(Role.BUREAU_OFFICER)
    auth.login(officer)

    def publicise(n):
        people = [make_professional(unit=u, account=False) for u in units(n)]
        _publicise(officer, _approved(make_submitted_declaration, people))

    publicise(FEW)
    few = queries(app, client, "/board")
    publicise(MANY)
    assert queries(app, client, "/board") == few
    assert queries(app, client, "/board?page=2") == few


def test_declarations_list_queries_do_not_grow(
    app, client, auth, make_professional, make_registered_declaration, make_submitted_declaration
):
    def person(registered_years):
        someone = make_professional()
        for year in registered_years:
            make_registered_declaration(someone, year, rule_set="hefei-2021")
        make_submitted_declaration(someone, year=2025, claims=[TRAINING] * 4)
        return someone

    small, big = person([2024]), person(range(2016, 2025))
    auth.login(small.user)
    few = queries(app, client, "/declarations/")
    auth.logout()
    auth.login(big.user)
    assert queries(app, client, "/declarations/") == few


def test_people_list_queries_do_not_grow(app, client, auth, make_user, make_professional, units):
    auth.login(make_user(Role.BUREAU_OFFICER))
    for unit in units(FEW):
        make_professional(unit=unit, account=False)
    few = queries(app, client, "/people/")
    for unit in units(MANY):
        make_professional(unit=unit, account=False)
    assert queries(app, client, "/people/") == few


def test_a_units_people_list_queries_do_not_grow(
    app, client, auth, make_user, make_professional, make_unit, units
):
    """A unit reviewer's list: the unit's people and those who moved out of it (the former
    staff read first, as one statement) in the same number of statements for 3 or 40 of
    each."""
    unit = make_unit(name="县人民医院")
    auth.login(make_user(Role.UNIT_REVIEWER, unit=unit))

    def staff(n):
        for elsewhere in units(n):
            make_professional(unit=unit, account=False)
            left = make_professional(unit=elsewhere, account=False)
            db.session.add(Employment(professional_id=left.id, unit_id=unit.id,
                                      started_on=date(2010, 9, 1), ended_on=date(2020, 8, 31)))  # fmt: skip
        db.session.commit()

    staff(FEW)
    few = queries(app, client, "/people/")
    staff(MANY)
    page = client.get("/people/").get_data(as_text=True)
    assert page.count("已调出") >= FEW  # the moved-out ones are listed
    assert queries(app, client, "/people/") == few


def test_person_page_queries_do_not_grow(
    app, client, auth, make_user, make_professional, make_registered_declaration, make_unit
):
    unit = make_unit()
    auth.login(make_user(Role.UNIT_REVIEWER, unit=unit))
    series = TitleSeries(name="教师", authority=Authority(name="县教体局"))

    def person(years):
        someone = make_professional(unit=unit)
        someone.titles.append(
            PersonTitle(
                series=series,
                level=TitleLevel.INTERMEDIATE,
                obtained=date(2015, 1, 1),
                appointed=date(2015, 1, 1),
            )
        )
        for year in years:
            make_registered_declaration(someone, year, rule_set="hefei-2021")
        db.session.commit()
        return someone

    small, big = person([2024]), person(range(2015, 2025))
    few = queries(app, client, f"/people/{small.id}")
    assert queries(app, client, f"/people/{big.id}") == few


def test_verification_list_queries_do_not_grow(
    app, client, auth, make_user, make_professional, make_registered_declaration, make_unit
):
    officer = make_user(Role.BUREAU_OFFICER)
    unit = make_unit()

    def issue(n):
        for i in range(n):
            # a series per verification, and each one issued twice (the first superseded)
            series = TitleSeries(name=f"系列{n}-{i}", authority=Authority(name=f"主管{n}-{i}"))
            person = make_professional(unit=unit, account=False)
            person.titles.append(
                PersonTitle(
                    series=series,
                    level=TitleLevel.INTERMEDIATE,
                    obtained=date(2021, 1, 1),
                    appointed=date(2021, 1, 1),
                )
            )
            for year in range(2021, 2026):
                rule_set = "anhui-2025" if year >= 2025 else "hefei-2021"
                make_registered_declaration(person, year, rule_set=rule_set)
            asked = verification.Request(
                kind=VerificationKind.CYCLE,
                series=series,
                level=TitleLevel.INTERMEDIATE,
                application_year=2025,
                first_year=2021,
                last_year=2025,
                cross_major=False,
            )
            with app.test_request_context():
                verification.issue(officer, person, asked)
                verification.issue(officer, person, asked)
            db.session.commit()

    auth.login(officer)
    issue(3)
    few = queries(app, client, "/verification/")
    issue(30)
    assert queries(app, client, "/verification/") == few


def test_stats_queries_do_not_grow(
    app, client, auth, make_user, make_professional, units, make_registered_declaration
):
    """The page of the snapshot (computing it: tests/perf/test_query_counts_stats.py)."""
    auth.login(make_user(Role.BUREAU_OFFICER))

    def register(n):
        for unit in units(n):
            make_registered_declaration(make_professional(unit=unit, account=False), 2025)

    register(FEW)
    recompute(2025)
    few = queries(app, client, "/stats/?year=2025")
    register(MANY)
    recompute(2025)
    assert queries(app, client, "/stats/?year=2025") == few


def test_filings_queries_do_not_grow(app, client, auth, make_user, make_unit):
    officer = make_user(Role.BUREAU_OFFICER)
    auth.login(officer)
    end = date.today() + timedelta(days=30)

    def file(n):
        for i in range(n):
            # half by providers, half by units: each row names its organiser
            if i % 2:
                owner = {"provider": Provider(name=f"基地{n}-{i}", phone="62611533")}
            else:
                owner = {"unit": make_unit(name=f"主办单位{n}-{i}")}
            db.session.add(
                TrainingPlan(
                    title=f"培训{n}-{i}",
                    subject="professional",
                    start_date=end - timedelta(days=1),
                    end_date=end,
                    days=2,
                    hours_per_day=6,
                    form=PlanForm.FACE,
                    state=PlanState.PENDING,
                    filed_on=date.today(),
                    filed_by_id=officer.id,
                    **owner,
                )
            )
        db.session.commit()

    file(FEW)
    few = queries(app, client, "/providers/filings")
    file(MANY)
    assert queries(app, client, "/providers/filings") == few


def test_dashboard_queries_do_not_grow(
    app, client, auth, make_user, make_unit, make_professional, make_submitted_declaration
):
    unit = make_unit()
    auth.login(make_user(Role.UNIT_REVIEWER, unit=unit))
    year = date.today().year

    def people(n):
        for i in range(n):
            person = make_professional(unit=unit, account=False)
            status = DeclarationStatus.DRAFT if i % 2 else DeclarationStatus.SUBMITTED
            make_submitted_declaration(
                person,
                year=year,
                claims=[TRAINING] * 3,
                status=status,
                submitted_at=datetime(year, 1, 2, tzinfo=UTC),
            )

    people(FEW)
    few = queries(app, client, f"/dashboard/?year={year}")
    people(MANY)
    assert queries(app, client, f"/dashboard/?year={year}") == few
