"""The statistics snapshot: the page and `flask stats` read it and say when it was computed; a
registration batch, the nightly run and the bureau's "重新计算" compute it again."""

import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.board.models import PublicityBatch
from portal.clock import current_year
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.jobs.service import SCHEDULE, run_periodic
from portal.jurisdictions import service as places
from portal.stats import snapshots, tasks
from portal.stats.models import StatsSnapshot

YEAR = 2025


def _people(html: str) -> int:
    return int(re.search(r'<dd id="fig-people">(\d+)</dd>', html).group(1))


def _registered(code: str, year: int = YEAR) -> int:
    db.session.expire_all()
    return snapshots.read(places.get(code), year).statistics.overall.registered


@pytest.fixture
def officer(make_user):
    return make_user(Role.BUREAU_OFFICER)


def test_the_page_reads_the_snapshot_and_says_when_it_was_computed(
    client, auth, officer, make_unit, make_professional
):
    unit = make_unit()
    for _ in range(3):
        make_professional(unit=unit, account=False)
    auth.login(officer)
    page = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    assert _people(page) == 3
    assert "计算于 " in page and "重新计算" in page
    # A person added later is not on the page until the figures are computed again...
    make_professional(unit=unit, account=False)
    assert _people(client.get(f"/stats/?year={YEAR}").get_data(as_text=True)) == 3
    # ...and a filtered page is computed now, and says so.
    filtered = client.get(f"/stats/?year={YEAR}&unit={unit.id}").get_data(as_text=True)
    assert _people(filtered) == 4 and "按筛选条件实时计算" in filtered
    assert "重新计算</button>" not in filtered


def test_the_bureau_asks_for_the_figures_again(
    app, client, auth, officer, make_unit, make_professional
):
    unit = make_unit()
    make_professional(unit=unit, account=False)
    auth.login(officer)
    client.get(f"/stats/?year={YEAR}")
    make_professional(unit=unit, account=False)
    response = client.post("/stats/recompute", data={"year": YEAR})
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    job = db.session.scalars(sa.select(Job).where(Job.kind == tasks.KIND)).one()
    assert job.state is JobState.DONE and job.created_by_id == officer.id
    assert _people(client.get(f"/stats/?year={YEAR}").get_data(as_text=True)) == 2
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "stats.recompute")
    ).one()
    assert event.user_id == officer.id and str(YEAR) in event.detail


def test_a_unit_reviewer_neither_recomputes_nor_reads_the_county_snapshot(
    client, auth, make_user, make_unit, make_professional
):
    mine, other = make_unit(), make_unit()
    make_professional(unit=mine, account=False)
    make_professional(unit=other, account=False)
    auth.login(make_user(Role.UNIT_REVIEWER, unit=mine))
    assert client.post("/stats/recompute", data={"year": YEAR}).status_code == 403
    assert not db.session.scalars(sa.select(Job).where(Job.kind == tasks.KIND)).all()
    page = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    assert _people(page) == 1 and "重新计算</button>" not in page


def test_a_stale_snapshot_is_computed_again_after_a_registration_batch(
    app, runner, ctx, make_unit, make_professional, make_submitted_declaration
):
    unit = make_unit()
    today = date.today()
    batch = PublicityBatch(
        title="测试公示", start_date=today - timedelta(days=20), end_date=today - timedelta(days=1)
    )
    db.session.add(batch)
    db.session.commit()
    for _ in range(2):
        make_submitted_declaration(
            make_professional(unit=unit, account=False),
            year=YEAR,
            status=DeclarationStatus.PUBLICISED,
            batch_id=batch.id,
        )
    county = places.default_county()
    snapshots.refresh([county], [YEAR])
    db.session.commit()
    before = snapshots.snapshot_of(county, YEAR).computed_at
    assert _registered(county) == 0

    result = runner.invoke(args=["publicity", "close"])
    assert "登记 2 份" in result.output, result.output

    assert _registered(county) == 2
    assert snapshots.snapshot_of(county, YEAR).computed_at > before
    city = places.get(county).parent  # and the city holding it
    assert _registered(city) == 2
    job = db.session.scalars(sa.select(Job).where(Job.kind == tasks.KIND)).one()
    assert job.state is JobState.DONE and job.params == {"counties": [county], "years": [YEAR]}


def test_the_nightly_run_computes_this_year_last_year_and_those_already_computed(
    app, ctx, make_professional
):
    make_professional(account=False)
    county = places.default_county()
    snapshots.refresh([county], [2019])
    db.session.commit()
    entry = SCHEDULE["stats.nightly"]
    assert entry.when == "每天 01:30"
    job = run_periodic("stats.nightly", tasks.nightly.work)
    assert job.state is JobState.DONE, job.message
    db.session.expire_all()
    years = set(db.session.scalars(sa.select(StatsSnapshot.year)))
    assert years == {2019, current_year(), current_year() - 1}


def test_the_cli_reads_the_same_snapshot(app, runner, ctx, make_professional):
    make_professional(account=False)
    result = runner.invoke(args=["stats", "--year", str(YEAR)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    snapshot = snapshots.snapshot_of(places.default_county(), YEAR)
    assert printed["computed_at"] == snapshot.computed_at.isoformat(timespec="seconds")
    assert printed["jurisdiction"]["code"] == places.default_county()
    assert printed["people"] == 1 and "by_county" not in printed
    named = runner.invoke(args=["stats", "--year", str(YEAR), "--jurisdiction", "341822"])
    assert json.loads(named.output) == printed


@pytest.mark.parametrize(
    "args, message",
    [
        (["--year", "abc"], "年度“abc”无效"),
        (["--year", "1999"], "年度“1999”无效"),
        (["--year", "2025", "--jurisdiction", "999999"], "行政区划代码“999999”不存在"),
        (["--year", "2025", "--jurisdiction", "'; drop"], "行政区划代码“'; drop”不存在"),
    ],
)
def test_the_cli_refuses_a_bad_year_or_jurisdiction(app, runner, ctx, args, message):
    result = runner.invoke(args=["stats", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_single_county_install_shows_no_county(
    client, auth, officer, make_user, make_unit, make_professional
):
    make_professional(unit=make_unit(), account=False)
    for user in (officer, make_user(Role.CITY_OFFICER)):
        auth.login(user)
        page = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
        assert 'id="table-by_county"' not in page and "县（市、区）" not in page
        assert 'name="jurisdiction"' not in page.split('<form method="get"')[1].split("</form>")[0]
        assert re.search(r"<h1>\d{4}年度继续教育统计</h1>", page)
        auth.logout()


def test_the_cli_recomputes_as_the_page_does(app, runner, ctx, make_professional):
    make_professional(account=False)
    assert json.loads(runner.invoke(args=["stats", "--year", str(YEAR)]).output)["people"] == 1
    make_professional(account=False)
    stale = runner.invoke(args=["stats", "--year", str(YEAR)])
    assert json.loads(stale.output)["people"] == 1
    fresh = runner.invoke(args=["stats", "--year", str(YEAR), "--recompute"])
    assert fresh.exit_code == 0, fresh.output
    assert json.loads(fresh.output)["people"] == 2
    db.session.expire_all()
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "stats.recompute")
    ).one()
    assert event.user_id is None and str(YEAR) in event.detail
