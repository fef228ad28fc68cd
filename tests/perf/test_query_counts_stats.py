"""The statistics page (and its next page of units, htmx), its Excel file and `flask stats` run a
fixed number of queries, whatever the number of people, units, title series and claims, with
or without filters; declarations with stored parts and older ones evaluated again alike."""

from datetime import date

from portal.accounts.models import PersonTitle, Role
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.jurisdictions import service as places
from portal.review import service as review
from portal.stats import snapshots
from portal.units.models import Authority, TitleLevel, TitleSeries
from tests.perf.test_query_counts import FEW, MANY, queries

CLAIMS = (
    {"kind": "training", "facts": {"days": 10}, "subject": "professional"},
    {"kind": "courseware", "facts": {"hours": 20}, "subject": "general"},
    {"kind": "courseware", "facts": {"hours": 20}, "subject": "general"},  # capped to 10
)


def recompute(year: int) -> None:
    """What the nightly job does: every county's snapshot of the year computed again."""
    snapshots.refresh([c.code for c in places.counties()], [year])
    db.session.commit()


def test_statistics_queries_do_not_grow(
    app, client, auth, make_unit, make_user, make_professional, make_submitted_declaration
):
    counter = iter(range(1000))

    def county(n):
        for _ in range(n):
            i = next(counter)
            authority = Authority(name=f"主管部门{i}")
            series = TitleSeries(name=f"系列{i}", authority=authority)
            db.session.add_all([authority, series])
            person = make_professional(unit=make_unit(name=f"单位{i}"), account=False)
            db.session.add(
                PersonTitle(
                    professional=person,
                    series=series,
                    level=TitleLevel.INTERMEDIATE,
                    obtained=date(2015, 1, 1),
                )
            )
            declaration = make_submitted_declaration(
                person,
                year=2025,
                claims=CLAIMS,
                status=DeclarationStatus.REGISTERED,
                general_hours=30,
                professional_hours=60,
                total_hours=90,
                compliant=True,
            )
            if i % 2:  # half approved with their parts stored, half before that
                declaration.keep_counted(review.accepted_year(declaration))
            db.session.commit()

    auth.login(make_user(Role.BUREAU_OFFICER))
    urls = [
        "/stats/?year=2025",
        "/stats/?year=2025&level=intermediate",  # a title filter: the title of the year joined
        "/stats/export.xlsx?year=2025",
    ]
    htmx = {"HX-Request": "true"}
    county(FEW)
    recompute(2025)
    few = [queries(app, client, url) for url in urls]
    few_page = queries(app, client, "/stats/?year=2025&page=2", headers=htmx)
    county(MANY - FEW)
    recompute(2025)  # a new revision: the figures are read and rendered again
    assert [queries(app, client, url) for url in urls] == few
    assert queries(app, client, "/stats/?year=2025&page=2", headers=htmx) == few_page
    page = client.get("/stats/?year=2025")
    assert f'<dd id="fig-people">{MANY}</dd>' in page.get_data(as_text=True)
    second = client.get("/stats/?year=2025&page=2", headers=htmx).get_data(as_text=True)
    assert "<html" not in second and second.count("<tr><td>") == MANY - 50  # 50 a page
    # read again: the rendered figures of this revision are kept, its rows not read again
    assert queries(app, client, urls[0]) == few[0] - 1
    assert queries(app, client, "/stats/?year=2025&page=2", headers=htmx) == few_page - 1


def test_stats_cli_queries_do_not_grow(app, runner, make_unit, make_professional):
    """`flask stats` prints every unit: one statement for all of them; computing the snapshot
    (the job's work) does not grow with the units either."""
    from tests.perf.test_query_counts import captured

    def count():
        db.session.expire_all()
        with captured(app) as computing:
            recompute(2025)
        with captured(app) as statements:
            result = runner.invoke(args=["stats", "--year", "2025"])
        assert result.exit_code == 0, result.output
        return len(computing), len(statements)

    for i in range(FEW):
        make_professional(unit=make_unit(name=f"单位{i}"), account=False)
    recompute(2025)  # the snapshot made: from now on it is rewritten
    few = count()
    for i in range(FEW, MANY):
        make_professional(unit=make_unit(name=f"单位{i}"), account=False)
    assert count() == few
