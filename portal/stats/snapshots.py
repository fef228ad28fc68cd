"""The statistics snapshots (portal.stats.models): computed by a job, read by the pages and
`flask stats`.

- A county's snapshot is `statistics()` over that county's people (its code the Core SQL's
  parameter), stored row by row in the order the page shows them.
- A city's (or the province's) is the sum of its counties' snapshots, table by table, row by
  row (the same unit, title series, kind… added up by key), and one row per county (the
  county breakdown): its people, declared, registered and compliant are the sums of its
  counties' by construction, and each county's row is that county's own overall row.
- `refresh(counties, years)` computes the counties' snapshots and then those of every city and
  province holding them; a snapshot missing when a page asks for it is computed then.
- `figures()` is what the page, the Excel file and the CLI show: the snapshot of the
  jurisdiction and year, or the statistics computed now when the page is filtered (unit, title
  series…) or a unit reviewer's (their unit alone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.audit.service import record
from portal.extensions import db
from portal.jurisdictions import service as places
from portal.jurisdictions.models import JurisdictionLevel
from portal.jurisdictions.scope import unscoped
from portal.models_base import utcnow
from portal.paging import PER_PAGE, Window
from portal.refusal import INVALID, Refusal, not_found
from portal.stats.models import StatsRow, StatsSnapshot
from portal.stats.service import (
    ContentRow,
    Filters,
    Row,
    Statistics,
    by_level,
    by_total,
    check_year,
    grouped,
    scoped,
    statistics,
)

CHART_UNITS = 20  # the units chart: the largest units (the table lists them all, by page)

# Statistics attribute of each grouping of a snapshot's rows, the page's tables in order.
PEOPLE_GROUPINGS = {
    "unit": "by_unit",
    "unit_type": "by_unit_type",
    "series": "by_series",
    "level": "by_level",
    "authority": "by_authority",
}
CONTENT_GROUPINGS = {"kind": "by_kind", "form": "by_form"}
PEOPLE_FIELDS = ("people", "declared", "registered", "compliant", "general", "professional")
CONTENT_FIELDS = ("claims", "people", "general", "professional")


@dataclass
class Figures:
    """What a statistics page shows: the statistics (by_unit: the chart's units, or all of them
    when read whole), a page of the unit table, the county breakdown (a city's), and when they
    were computed (None: now, for a filtered page)."""

    jurisdiction: places.Node
    statistics: Statistics
    units: Window
    unit_count: int
    computed_at: datetime | None = None
    by_county: list[Row] = field(default_factory=list)

    @property
    def named(self) -> bool:
        """Pages name the jurisdiction, except on a single-county install."""
        return not places.is_single_county()

    @property
    def show_counties(self) -> bool:
        """A city's breakdown by county; never on a single-county install."""
        return bool(self.by_county) and not places.is_single_county()

    def as_json(self) -> dict:
        """The `flask stats` layout: the statistics, the jurisdiction, when computed, and a
        city's counties."""
        place = self.jurisdiction
        result = {
            "jurisdiction": {"code": place.code, "name": place.name, "level": place.level.value},
            **self.statistics.as_json(),
            "computed_at": self.computed_at.isoformat(timespec="seconds")
            if self.computed_at
            else None,
        }
        if self.show_counties:
            result["by_county"] = [r.as_dict() for r in self.by_county]
        return result


# --- which jurisdiction ---------------------------------------------------------------------


def jurisdiction_for(user: User | None, code: str | None) -> places.Node:
    """The jurisdiction a page (or the CLI, user None) asks for, by default the user's own (the
    CLI's: the install's county): a county's staff may name only their county, a city officer
    their city or one of its counties, the CLI any. A code the user may not see is not found
    (the CLI: refused, exit 2)."""
    own = places.get(user.jurisdiction_code) if user is not None else None
    if not code:
        return own or places.get(places.default_county())
    place = places.get(str(code).strip())
    if place is None:
        if user is None:
            raise Refusal(
                f"行政区划代码“{str(code)[:20]}”不存在，可用 flask jurisdictions 查看。",
                INVALID,
                field="jurisdiction",
            )
        raise not_found("您要找的统计不存在或您无权查看。")
    if own is not None and not set(places.counties_of(place.code)) <= set(
        places.counties_of(own.code)
    ):
        raise not_found("您要找的统计不存在或您无权查看。")
    return place


def jurisdiction_people() -> list[dict]:
    """Every jurisdiction with its people on record (confirmed professionals: a county's own,
    a city's or the province's summed over its counties), the province first, then the cities,
    then the counties, each by code. One statement, whatever the number of counties."""
    with unscoped():
        counted = dict(
            db.session.execute(
                sa.select(Professional.jurisdiction_code, sa.func.count())
                .where(Professional.status == PersonStatus.CONFIRMED)
                .group_by(Professional.jurisdiction_code)
            ).all()
        )
    levels = {level: i for i, level in enumerate(JurisdictionLevel)}
    nodes = sorted(places.tree().values(), key=lambda n: (levels[n.level], n.code))
    return [
        {
            "code": node.code,
            "name": node.name,
            "level": node.level.value,
            "parent": node.parent,
            "people": sum(counted.get(c, 0) for c in places.counties_of(node.code)),
        }
        for node in nodes
    ]


# --- reading --------------------------------------------------------------------------------


def _unfiltered(filters: Filters) -> bool:
    return filters == Filters(filters.year)


def figures(
    user: User | None, filters: Filters, code: str | None = None, page: int | None = 1
) -> Figures:
    """The figures of a statistics page (`page`: the unit table's page; None: every unit, the
    Excel file and the CLI). The snapshot when nothing narrows the year's figures and the
    reader sees the whole jurisdiction; otherwise the statistics computed now over its
    counties."""
    place, snapshot = source(user, filters, code)
    return figures_of(user, place, snapshot, filters, page)


def source(
    user: User | None, filters: Filters, code: str | None = None
) -> tuple[places.Node, StatsSnapshot | None]:
    """Where a page's figures come from: the jurisdiction the user may read, and its snapshot
    of the year (computed now when missing), or None when the figures are computed now (a
    filtered page, a unit reviewer's). Refuses what the user may not see."""
    check_year(filters.year)
    if user is not None:
        scoped(user, filters)  # refuses a role that may not see statistics
    place = jurisdiction_for(user, code)
    whole = user is None or user.role is not Role.UNIT_REVIEWER
    if not (whole and _unfiltered(filters)):
        return place, None
    return place, stored(place, filters.year)


def figures_of(
    user: User | None,
    place: places.Node,
    snapshot: StatsSnapshot | None,
    filters: Filters,
    page: int | None,
) -> Figures:
    """The figures from where source() said: the snapshot's rows, or computed now."""
    if snapshot is not None:
        return read(place, filters.year, page, snapshot)
    found = statistics(user, replace(filters, counties=tuple(places.counties_of(place.code))))
    return _live(place, found, page)


def _live(place: places.Node, found: Statistics, page: int | None) -> Figures:
    units = found.by_unit
    if page is None:
        window = Window(units, 1, max(1, len(units)), False)
    else:
        start = (page - 1) * PER_PAGE
        window = Window(
            units[start : start + PER_PAGE], page, PER_PAGE, len(units) > start + PER_PAGE
        )
    return Figures(place, found, window, len(units))


def snapshot_of(code: str, year: int) -> StatsSnapshot | None:
    return db.session.scalar(
        sa.select(StatsSnapshot).where(
            StatsSnapshot.jurisdiction_code == code, StatsSnapshot.year == year
        )
    )


def stored(place: places.Node, year: int) -> StatsSnapshot:
    """The jurisdiction's snapshot of the year, computed now when there is none."""
    snapshot = snapshot_of(place.code, year)
    if snapshot is None:
        refresh(places.counties_of(place.code), [year])
        snapshot = snapshot_of(place.code, year)
    return snapshot


def read(
    place: places.Node, year: int, page: int | None = 1, snapshot: StatsSnapshot | None = None
) -> Figures:
    """The stored snapshot of a jurisdiction and year (given, or found; computed now when there
    is none): two statements, whatever the number of units (a page of them and the chart's are
    read)."""
    snapshot = snapshot or stored(place, year)
    # plain rows, not ORM objects: a page reads a hundred of them
    rows = sa.select(*StatsRow.__table__.c).where(StatsRow.snapshot_id == snapshot.id)
    if page is not None:
        start = (page - 1) * PER_PAGE
        rows = rows.where(
            sa.or_(
                StatsRow.grouping != "unit",
                StatsRow.position < CHART_UNITS,
                StatsRow.position.between(start, start + PER_PAGE),
            )
        )
    tables: dict[str, list[StatsRow]] = {}
    for row in db.session.execute(rows.order_by(StatsRow.grouping, StatsRow.position)):
        tables.setdefault(row.grouping, []).append(row)
    units = tables.get("unit", [])
    found = Statistics(
        filters=Filters(year),
        overall=_people_row(tables["overall"][0]),
        **{a: [_people_row(r) for r in tables.get(g, [])] for g, a in PEOPLE_GROUPINGS.items()},
        **{a: [_content_row(r) for r in tables.get(g, [])] for g, a in CONTENT_GROUPINGS.items()},
    )
    if page is None:
        window = Window(found.by_unit, 1, max(1, len(units)), False)
    else:
        shown = [_people_row(r) for r in units if start <= r.position < start + PER_PAGE]
        window = Window(shown, page, PER_PAGE, snapshot.units > start + PER_PAGE)
        found.by_unit = [_people_row(r) for r in units if r.position < CHART_UNITS]
    return Figures(
        place,
        found,
        window,
        snapshot.units,
        snapshot.computed_at,
        [_people_row(r) for r in tables.get("county", [])],
    )


def _people_row(row: StatsRow) -> Row:
    return Row(row.key, row.label, *(getattr(row, f) for f in PEOPLE_FIELDS))


def _content_row(row: StatsRow) -> ContentRow:
    return ContentRow(row.key, row.label, row.clause, *(getattr(row, f) for f in CONTENT_FIELDS))


# --- computing ------------------------------------------------------------------------------


def _rows_of(found: Statistics, by_county: Iterable[Row] = ()) -> list[dict]:
    """A snapshot's rows from statistics (in the order of its tables), as the insert's values."""
    tables = [("overall", [found.overall], PEOPLE_FIELDS), ("county", by_county, PEOPLE_FIELDS)]
    tables += [(g, getattr(found, a), PEOPLE_FIELDS) for g, a in PEOPLE_GROUPINGS.items()]
    tables += [(g, getattr(found, a), CONTENT_FIELDS) for g, a in CONTENT_GROUPINGS.items()]
    return [
        {
            "grouping": grouping,
            "position": position,
            "key": str(row.key)[:40],
            "label": str(row.label)[:200],
            "clause": getattr(row, "clause", "")[:40],
            **dict.fromkeys(PEOPLE_FIELDS + CONTENT_FIELDS, 0),
            **{f: getattr(row, f) or 0 for f in fields},
        }
        for grouping, rows, fields in tables
        for position, row in enumerate(rows)
    ]


def _store(code: str, year: int, found: Statistics, by_county: Iterable[Row] = ()) -> StatsSnapshot:
    """Replace the jurisdiction's snapshot of the year (locked while it is rewritten: two
    jobs computing the same one write one after the other)."""
    snapshot = db.session.scalar(
        sa.select(StatsSnapshot)
        .where(StatsSnapshot.jurisdiction_code == code, StatsSnapshot.year == year)
        .with_for_update()
    )
    if snapshot is None:
        snapshot = StatsSnapshot(jurisdiction_code=code, year=year, computed_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(snapshot)
        except IntegrityError:  # another process made it first: rewrite theirs
            return _store(code, year, found, by_county)
    else:
        db.session.execute(sa.delete(StatsRow).where(StatsRow.snapshot_id == snapshot.id))
    snapshot.computed_at = utcnow()
    snapshot.revision = uuid4().hex  # the pages' rendered figures of the old rows are not used
    snapshot.units = len(found.by_unit)
    db.session.flush()
    rows = [{**row, "snapshot_id": snapshot.id} for row in _rows_of(found, by_county)]
    db.session.execute(sa.insert(StatsRow), rows)  # one executemany, whatever the rows
    return snapshot


def compute_county(code: str, year: int) -> StatsSnapshot:
    """A county's snapshot: its statistics, its county code the statement's parameter."""
    found = statistics(None, Filters(year, counties=(code,)))
    return _store(code, year, found)


def compute_rollup(code: str, year: int) -> StatsSnapshot:
    """A city's or the province's snapshot: the sum of its counties' (each computed first when
    missing), table by table, and one row a county."""
    counties = []
    for county in places.counties_of(code):
        if snapshot_of(county, year) is None:
            compute_county(county, year)
        counties.append(read(places.get(county), year, page=None))
    found = merge(year, [c.statistics for c in counties])
    by_county = [
        replace(c.statistics.overall, key=c.jurisdiction.code, label=c.jurisdiction.name)
        for c in counties
    ]
    return _store(code, year, found, by_county)


def refresh(
    counties: Iterable[str], years: Iterable[int], progress: Callable | None = None
) -> list[StatsSnapshot]:
    """Compute the snapshots of these counties and years, then of the cities and province
    holding them. Flushes; the caller commits."""
    counties, years = sorted(set(counties)), sorted(set(years))
    rollups = sorted({up for county in counties for up in places.ancestors(county)})
    work = [(c, y, compute_county) for y in years for c in counties]
    work += [(r, y, compute_rollup) for y in years for r in rollups]
    done = []
    with unscoped():  # the statements take the counties as their parameter
        for i, (code, year, compute) in enumerate(work):
            done.append(compute(code, year))
            if progress is not None:
                progress(i + 1, len(work))
    return done


def recompute(user: User | None, code: str | None, year: int) -> list[StatsSnapshot]:
    """The 重新计算 of a jurisdiction's figures of a year, now (`flask stats --recompute`; the
    page's goes through a job, portal.stats.tasks); audited."""
    place = jurisdiction_for(user, code)
    done = refresh(places.counties_of(place.code), [check_year(year)])
    record("stats.recompute", None, user=user, detail=f"{place.name} {year}年度")
    return done


def merge(year: int, parts: list[Statistics]) -> Statistics:
    """Statistics summed from several counties': every row added to the row of the same key
    (the label and clause of the first), in the page's order."""
    overall = Row("all", "合计")
    for part in parts:
        _add(overall, part.overall, PEOPLE_FIELDS)
    tables = {}
    for attribute, fields in [
        *((a, PEOPLE_FIELDS) for a in PEOPLE_GROUPINGS.values()),
        *((a, CONTENT_FIELDS) for a in CONTENT_GROUPINGS.values()),
    ]:
        summed: dict[str, Row | ContentRow] = {}
        for part in parts:
            for row in getattr(part, attribute):
                _add(
                    summed.setdefault(row.key, replace(row, **dict.fromkeys(fields, 0))),
                    row,
                    fields,
                )
        tables[attribute] = list(summed.values())
    return Statistics(
        filters=Filters(year),
        overall=overall,
        by_unit=grouped(tables["by_unit"]),
        by_unit_type=grouped(tables["by_unit_type"]),
        by_series=grouped(tables["by_series"]),
        by_level=by_level(tables["by_level"]),
        by_authority=grouped(tables["by_authority"]),
        by_kind=by_total(tables["by_kind"]),
        by_form=by_total(tables["by_form"]),
    )


def _add(target, row, fields: tuple[str, ...]) -> None:
    for name in fields:
        setattr(target, name, getattr(target, name) + getattr(row, name))
