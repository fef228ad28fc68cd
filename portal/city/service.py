"""One queue of a city officer's waiting work in all its counties: verifications of senior titles
sent for the city's confirmation (001 五(二), 003 五(二)) and senior holders' yearly second steps
of the two-step review (003 五(二)), oldest first, each row with its county.

One statement whatever the number of counties and rows: the page's rows (a UNION of the two
kinds, ordered by how long each waits) with what each shows, and the counts by kind and
county."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import PersonStatus, Professional, User
from portal.declarations.models import Declaration
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.paging import PER_PAGE, paged
from portal.review.service import PERSON_COLUMNS, PersonCells, QueueEntry, second_step_waiting
from portal.units.models import TitleLevel, TitleSeries, Unit
from portal.verification.models import Verification, VerificationStatus

VERIFICATION, YEARLY = "verification", "yearly"
KINDS = {VERIFICATION: "学时验证单复核", YEARLY: "年度学时核验"}


@dataclass(frozen=True, slots=True)
class SentShown(PersonCells):
    """What the queue shows of a verification sent for the city's confirmation."""

    id: int
    number: str
    first_year: int
    last_year: int
    ok: bool
    series_name: str
    level: TitleLevel
    name: str
    id_number: str
    unit_name: str | None  # None: a freelancer

    @staticmethod
    def columns() -> tuple:
        return (
            Verification.id, Verification.number, Verification.first_year,
            Verification.last_year, Verification.ok, TitleSeries.name, Verification.level,
            *PERSON_COLUMNS,
        )  # fmt: skip

    @property
    def title_text(self) -> str:  # as Verification.title_text
        return f"{self.series_name} {self.level.label}"


@dataclass
class Row:
    kind: str
    county: str  # the county's name
    since: datetime | None
    record: SentShown | QueueEntry

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass
class CityQueue:
    rows: list[Row]
    counts: dict[tuple[str, str], int]  # (kind, county code): waiting
    page: int = 1
    has_next: bool = False
    counties: list[jurisdictions.Node] = field(default_factory=list)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, kind: str | None = None, county: str | None = None) -> int:
        return sum(
            n
            for (k, c), n in self.counts.items()
            if (kind is None or k == kind) and (county is None or c == county)
        )


def counties_of(user: User) -> list[jurisdictions.Node]:
    """The counties whose work this city officer does (its city's; a county's own account on a
    single-county install: that county)."""
    return [
        node
        for code in jurisdictions.counties_of(user.jurisdiction_code)
        if (node := jurisdictions.get(code)) is not None
    ]


def _waiting(counties: list[str]) -> sa.CompoundSelect:
    """(kind, id, county, since) of everything waiting for the city in these counties."""
    confirmed = sa.select(Professional.id).where(Professional.status == PersonStatus.CONFIRMED)
    sent = sa.select(
        sa.literal(VERIFICATION).label("kind"),
        Verification.id.label("id"),
        Verification.jurisdiction_code.label("county"),
        Verification.sent_at.label("since"),
    ).where(
        Verification.status == VerificationStatus.SENT,
        Verification.superseded_by_id.is_(None),
        Verification.jurisdiction_code.in_(counties),
    )
    yearly = sa.select(
        sa.literal(YEARLY).label("kind"),
        Declaration.id.label("id"),
        Declaration.jurisdiction_code.label("county"),
        sa.func.coalesce(Declaration.first_reviewed_at, Declaration.submitted_at).label("since"),
    ).where(
        second_step_waiting(city=True),
        Declaration.professional_id.in_(confirmed),
        Declaration.jurisdiction_code.in_(counties),
    )
    return sa.union_all(sent, yearly)


def queue(
    user: User, *, county: str | None = None, kind: str | None = None, page: int = 1
) -> CityQueue:
    """The page `page` (50 rows) of the city officer's queue, filtered by county and kind."""
    nodes = counties_of(user)
    names = {node.code: node.name for node in nodes}
    codes = (county,) if county in names else tuple(names)
    page = max(1, page)
    statement = _statement(codes, kind if kind in KINDS else None)
    found = db.session.execute(
        statement, {"limit": PER_PAGE + 1, "offset": (page - 1) * PER_PAGE}
    ).all()
    counts = {(row.kind, row.county): row.number for row in found if row.counted}
    picked = [row for row in found if not row.counted]
    rows = [
        Row(row.kind, names.get(row.county, row.county), row.since, record)
        for row in picked[:PER_PAGE]
        if (record := _record(row)) is not None
    ]
    return CityQueue(rows, counts, page, len(picked) > PER_PAGE, nodes)


def _record(row) -> SentShown | QueueEntry | None:
    """What a row of the page shows of its verification or declaration; None when the record
    or its person is not there to be seen (out of the scope since it was counted)."""
    person = tuple(row[_PERSON])
    if person[0] is None:
        return None
    if row.kind == VERIFICATION:
        sent = tuple(row[_SENT])
        found = sent[0] is not None and sent[4] is not None  # the verification, its series
        return SentShown(row.number, *sent, *person) if found else None
    declared = tuple(row[_DECLARED])
    return QueueEntry(row.number, *declared, *person) if declared[0] is not None else None


# _statement's row after its five key columns: SentShown's cells after the id, QueueEntry's
# cells after the id, the person's cells (PERSON_COLUMNS)
_SENT, _DECLARED, _PERSON = slice(5, 11), slice(11, 15), slice(15, 18)


@functools.lru_cache(maxsize=128)
def _statement(codes: tuple[str, ...], kind: str | None) -> sa.CompoundSelect:
    """The page's rows in waiting order (its limit and offset parameters), each with what it
    shows of its verification or declaration and person, and the counts by kind and county,
    in one statement over these counties, built once per counties and kind (a SQL expression
    is immutable). The waiting work is read once (a CTE both parts read, which PostgreSQL
    materialises). Rows: (counted, kind, county, number: the record's id or the count, since,
    then a verification's six cells, a declaration's four and the person's three; None in
    a count)."""
    waiting = _waiting(list(codes)).cte("waiting")
    picking = sa.select(
        sa.false().label("counted"), waiting.c.kind, waiting.c.county,
        waiting.c.id.label("number"), waiting.c.since,
    )  # fmt: skip
    if kind is not None:
        picking = picking.where(waiting.c.kind == kind)
    picked = paged(picking.order_by(waiting.c.since, waiting.c.kind, waiting.c.id)).subquery(
        "picked"
    )
    person = sa.func.coalesce(Verification.professional_id, Declaration.professional_id)
    shown = (
        sa.select(
            picked, *SentShown.columns()[1:7], *QueueEntry.columns()[1:5], *PERSON_COLUMNS
        )  # fmt: skip
        .select_from(picked)
        .outerjoin(
            Verification,
            sa.and_(picked.c.kind == VERIFICATION, Verification.id == picked.c.number),
        )
        .outerjoin(TitleSeries, Verification.series_id == TitleSeries.id)
        .outerjoin(Declaration, sa.and_(picked.c.kind == YEARLY, Declaration.id == picked.c.number))
        .outerjoin(Professional, Professional.id == person)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
    )
    cells = len(shown.selected_columns) - 4
    counting = sa.select(
        sa.true(), waiting.c.kind, waiting.c.county, sa.func.count(), *[sa.null()] * cells
    ).group_by(waiting.c.kind, waiting.c.county)
    # counted, since, kind, number: by position (SQLite finds a name such as "number" in the
    # joined tables too, and calls it ambiguous)
    return sa.union_all(shown, counting).order_by(*map(sa.literal_column, ("1", "5", "2", "4")))
