"""One queue of a city officer's waiting work in all its counties: verifications of senior titles
sent for the city's confirmation (001 五(二), 003 五(二)) and senior holders' yearly second steps
of the two-step review (003 五(二)), oldest first, each row with its county.

Three statements whatever the number of counties and rows: the counts by kind and county, the
page's keys (a UNION of the two kinds, ordered by how long each waits), then the page's rows of
each kind with what a row shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import PersonStatus, Professional, User
from portal.declarations.models import Declaration
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.paging import PER_PAGE
from portal.review.service import second_step_waiting
from portal.verification.models import Verification, VerificationStatus

VERIFICATION, YEARLY = "verification", "yearly"
KINDS = {VERIFICATION: "学时验证单复核", YEARLY: "年度学时核验"}


@dataclass
class Row:
    kind: str
    county: str  # the county's name
    since: datetime | None
    record: Verification | Declaration

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
    codes = [county] if county in names else list(names)
    waiting = _waiting(codes).subquery()
    counts = {
        (k, c): n
        for k, c, n in db.session.execute(
            sa.select(waiting.c.kind, waiting.c.county, sa.func.count()).group_by(
                waiting.c.kind, waiting.c.county
            )
        )
    }
    page = max(1, page)
    picked = sa.select(waiting.c.kind, waiting.c.id, waiting.c.county, waiting.c.since)
    if kind in KINDS:
        picked = picked.where(waiting.c.kind == kind)
    keys = db.session.execute(
        picked.order_by(waiting.c.since, waiting.c.kind, waiting.c.id)
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    ).all()
    has_next, keys = len(keys) > PER_PAGE, keys[:PER_PAGE]
    records = _records(keys)
    rows = [
        Row(k.kind, names.get(k.county, k.county), k.since, records[(k.kind, k.id)])
        for k in keys
        if (k.kind, k.id) in records
    ]
    return CityQueue(rows, counts, page, has_next, nodes)


def _records(keys) -> dict[tuple[str, int], Verification | Declaration]:
    """The page's verifications and declarations, with the person, unit and series a row shows
    (one statement a kind)."""
    found: dict[tuple[str, int], Verification | Declaration] = {}
    wanted = {kind: [k.id for k in keys if k.kind == kind] for kind in KINDS}
    if wanted[VERIFICATION]:
        for v in db.session.scalars(
            sa.select(Verification)
            .where(Verification.id.in_(wanted[VERIFICATION]))
            .options(
                joinedload(Verification.professional).joinedload(Professional.unit),
                joinedload(Verification.series),
            )
        ).unique():
            found[(VERIFICATION, v.id)] = v
    if wanted[YEARLY]:
        for d in db.session.scalars(
            sa.select(Declaration)
            .where(Declaration.id.in_(wanted[YEARLY]))
            .options(joinedload(Declaration.professional).joinedload(Professional.unit))
        ).unique():
            found[(YEARLY, d.id)] = d
    return found
