"""The statistics snapshots' jobs: every night, after a registration batch (board's
`years_registered`), and when the bureau asks ("重新计算")."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.service import record
from portal.board.service import years_registered
from portal.clock import current_year
from portal.extensions import db
from portal.jobs import service as jobs
from portal.jobs.queue import huey
from portal.jobs.service import periodic
from portal.jurisdictions import service as places
from portal.stats import snapshots
from portal.stats.models import StatsSnapshot

KIND = "stats.compute"


def submit_refresh(user: User | None, counties: list[str], years: list[int], why: str) -> jobs.Job:
    """A job recomputing these counties' snapshots of these years (and their cities');
    enqueued when the session commits."""
    counties, years = sorted(set(counties)), sorted(set(years))
    title = f"重新计算统计（{why}，{'、'.join(str(y) for y in years)}年度）"
    return jobs.submit(user, KIND, title[:200], refresh_task, counties=counties, years=years)


def request_refresh(user: User, code: str, year: int) -> jobs.Job:
    """The bureau's "重新计算" of a jurisdiction's figures of a year; audited."""
    place = snapshots.jurisdiction_for(user, code)
    job = submit_refresh(user, places.counties_of(place.code), [year], "经办人要求")
    record("stats.recompute", job, user=user, detail=f"{place.name} {year}年度")
    return job


def refresh_work(job, progress) -> str:
    done = snapshots.refresh(job.params["counties"], job.params["years"], progress)
    return f"已重新计算统计 {len(done)} 份"


@huey.task()
def refresh_task(job_id: int) -> None:
    jobs.run(job_id, refresh_work)


@years_registered.connect
def _after_registration(user, declarations) -> None:
    """A registration batch makes its counties' snapshots of its years stale: recompute them
    once it is committed."""
    counties = [d.jurisdiction_code for d in declarations]
    years = [d.year for d in declarations]
    submit_refresh(user, counties, years, "新登记一批年度后")


@periodic("stats.nightly", "计算统计数据", "每天 01:30", minute="30", hour="1")
def nightly(job, progress) -> str:
    """Every county's snapshots of this year and last, and of every year already computed."""
    years = {current_year(), current_year() - 1}
    years |= set(db.session.scalars(sa.select(StatsSnapshot.year).distinct()))
    done = snapshots.refresh([c.code for c in places.counties()], years, progress)
    return f"已计算统计 {len(done)} 份"
