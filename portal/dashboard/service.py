"""A unit's year: who has not declared, who is short of the requirement (and by how much),
what waits in the review queue and for how long, open objections; reminders to everyone short.
The people come a page at a time, filtered by state (STATES, decided in SQL) and name, with the
count of each state from one aggregate query.

Hours per person: the approved hours once reviewed (approved, publicised, registered); the
hours as declared (by the rules engine) while a declaration is a draft or waits for review;
none after a rejection or revocation. The requirement is the year's rule set's (90/60, or
30/60 under hefei-2021), for the declaration's rule set when there is one.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import rules
from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.audit.service import record
from portal.board.models import Objection, ObjectionStatus
from portal.clock import LOCAL_TZ, local_today
from portal.declarations.models import Claim, ClaimDecision, Declaration, DeclarationStatus
from portal.extensions import db
from portal.models_base import json_rows
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.paging import PER_PAGE, Window, contains, like_text, paged
from portal.refusal import forbidden
from portal.review.service import declared_inputs, declared_result
from portal.units.models import Unit

REVIEWED = (DeclarationStatus.APPROVED, DeclarationStatus.PUBLICISED, DeclarationStatus.REGISTERED)
WAITING = (
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.NEEDS_EVIDENCE,
    DeclarationStatus.PROFESSIONAL_CHECKED,
)
NO_HOURS = (DeclarationStatus.REJECTED, DeclarationStatus.REVOKED)


@dataclass
class PersonYear:
    person: Professional | Listed
    declaration: Declaration | ListedDeclaration | None
    general: int = 0
    professional: int = 0
    requirement: rules.Requirement = field(default_factory=lambda: rules.Requirement(0, 60, 90))

    @property
    def total(self) -> int:
        return self.general + self.professional

    @property
    def declared(self) -> bool:
        return (
            self.declaration is not None and self.declaration.status is not DeclarationStatus.DRAFT
        )

    @property
    def short_total(self) -> int:
        return max(0, self.requirement.total - self.total)

    @property
    def short_professional(self) -> int:
        return max(0, self.requirement.professional - self.professional)

    @property
    def short_general(self) -> int:
        return max(0, self.requirement.general - self.general)

    @property
    def short(self) -> bool:
        return bool(self.short_total or self.short_professional or self.short_general)

    def shortfall_text(self) -> str:
        parts = []
        if self.short_total:
            parts.append(f"总学时差{self.short_total}学时")
        if self.short_professional:
            parts.append(f"专业科目差{self.short_professional}学时")
        if self.short_general:
            parts.append(f"公需科目差{self.short_general}学时")
        return "，".join(parts)


@dataclass
class Waiting:
    """A declaration in the review queue, with the columns the dashboard shows."""

    declaration_id: int
    name: str
    year: int
    status: DeclarationStatus
    submitted_at: datetime | None
    days: int


@dataclass
class Objected:
    """An open objection, with the columns the dashboard shows."""

    name: str
    year: int
    created_at: datetime


# A person's state in the year, one of these (the list's filter and the counts above it):
# no declaration; a draft; waiting for review; reviewed and compliant by the approved hours;
# reviewed and short, or no hours (refused, revoked).
STATES = {
    "none": "未申报",
    "draft": "草稿",
    "waiting": "待核验",
    "met": "已达标",
    "short": "未达标",
}
SHOWN = 10  # the oldest waiting declarations and the open objections shown on the dashboard
CHUNK = 500  # drafts and waiting declarations evaluated per round of queries (reminders)


@dataclass
class Overview:
    year: int
    unit: Unit
    counts: dict[str, int]  # people per state, every state a key
    people: Window  # this page's PersonYear rows
    queue: list[Waiting]  # the longest waiting, at most SHOWN
    queue_total: int
    objections: list[Objected]  # the oldest open, at most SHOWN
    objections_total: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _require_unit_reviewer(user: User) -> None:
    if not user.is_authenticated or user.role is not Role.UNIT_REVIEWER or user.unit_id is None:
        raise forbidden("只有单位经办人可以查看本单位的学时情况。")


def person_year(
    person: Professional | Listed,
    declaration: Declaration | ListedDeclaration | None,
    year: int,
    declared: dict[int, tuple[rules.YearResult | None, str]] | None = None,
) -> PersonYear:
    """One person's year: approved hours as stored once reviewed; the hours as declared (the
    rules engine over the claims) for a draft or a waiting declaration, taken from `declared`
    (by declaration id, see _declared) when evaluated already."""
    rule_set_id = declaration.rule_set if declaration else rules.rule_set_for_year(year).id
    entry = PersonYear(person, declaration, requirement=rules.get_rule_set(rule_set_id).requirement)
    if declaration is None or declaration.status in NO_HOURS:
        return entry
    if declaration.status in REVIEWED:
        entry.general = declaration.general_hours or 0
        entry.professional = declaration.professional_hours or 0
        return entry
    if declared is not None and declaration.id in declared:
        result, _error = declared[declaration.id]
    else:
        result, _error = declared_result(declaration)
    if result is not None:
        entry.general, entry.professional = result.general, result.professional
    return entry


def _requirement(part: str) -> sa.Case:
    """The requirement's `part` (general, professional, total) of the declaration's rule set."""
    return sa.case(
        {id: getattr(rules.get_rule_set(id).requirement, part) for id in rules.rule_set_ids()},
        value=Declaration.rule_set,
    )


@functools.cache
def _state() -> sa.Case:
    """The person's state (a STATES key) in SQL: a reviewed declaration is short by the same
    test as PersonYear.short over its stored hours (None as 0). Built once (the rule sets are
    the process's data files; a SQL expression is immutable)."""
    general = sa.func.coalesce(Declaration.general_hours, 0)
    professional = sa.func.coalesce(Declaration.professional_hours, 0)
    short = sa.or_(
        general < _requirement("general"),
        professional < _requirement("professional"),
        general + professional < _requirement("total"),
    )
    return sa.case(
        (Declaration.id.is_(None), "none"),
        (Declaration.status == DeclarationStatus.DRAFT, "draft"),
        (Declaration.status.in_(WAITING), "waiting"),
        (sa.and_(Declaration.status.in_(REVIEWED), sa.not_(short)), "met"),
        else_="short",
    )


def _people(unit_id: int | None, year: int, *columns) -> sa.Select:
    """Confirmed people of the unit (None: the whole county) with their year's declaration."""
    query = (
        sa.select(*(columns or (Professional, Declaration)))
        .select_from(Professional)
        .outerjoin(
            Declaration,
            sa.and_(Declaration.professional_id == Professional.id, Declaration.year == year),
        )
        .where(Professional.status == PersonStatus.CONFIRMED)
    )
    if unit_id is not None:
        query = query.where(Professional.unit_id == unit_id)
    return query


class DeclaredClaim(NamedTuple):
    """A claim's columns that the rules engine (by Claim.rule_claim, the one conversion),
    counted_elsewhere and the claim markers read: read as columns, not as Claim objects. The
    facts and details as their stored JSON text (decoded when read): the claim is a value,
    the key of the declared hours kept (_declared_hours)."""

    id: int
    declaration_id: int
    kind: str
    subject: str
    facts_json: str | None
    details_json: str | None
    identity: str | None
    elected: bool
    decision: ClaimDecision | None
    accepted_hours: int | None
    plan_id: int | None
    filed_elsewhere: str

    rule_claim = Claim.rule_claim

    @property
    def facts(self) -> dict | None:
        return json.loads(self.facts_json) if self.facts_json is not None else None

    @property
    def details(self) -> dict | None:
        return json.loads(self.details_json) if self.details_json is not None else None

    @staticmethod
    def columns() -> list:
        return [
            expression.label(name)
            for name, expression in zip(
                DeclaredClaim._fields, DeclaredClaim.expressions(), strict=True
            )
        ]

    @staticmethod
    def expressions() -> list:
        """The fields' SQL, unlabelled (as the arguments of json_rows)."""
        return [
            sa.cast(getattr(Claim, name.removesuffix("_json")), sa.Text)
            if name.endswith("_json")
            else getattr(Claim, name)
            for name in DeclaredClaim._fields
        ]

    @classmethod
    def of_json(cls, values: list) -> DeclaredClaim:
        """A claim from its values in the JSON array of _claims_along (the fields' order, then
        its position): typed as a row of columns() is (the key of _declared_hours)."""
        fields = dict(zip(cls._fields, values, strict=False))
        fields["elected"] = bool(fields["elected"])  # SQLite's 0/1
        if fields["decision"] is not None:  # stored as the member's name
            fields["decision"] = ClaimDecision[fields["decision"]]
        return cls(**fields)


@dataclass
class Declared:
    """A draft or waiting declaration as declared_results reads it: its columns, its person
    (the training marks read the person's unit) and its claims (DeclaredClaim)."""

    id: int
    status: DeclarationStatus
    rule_set: str
    year: int
    unit_id: int | None
    professional: Professional | Listed
    claims: list[DeclaredClaim] = field(default_factory=list)

    @property
    def professional_id(self) -> int:
        return self.professional.id


def _declared(declarations: list[Declared]) -> dict[int, tuple]:
    """The declared hours (declared_result) of these drafts and waiting declarations, by id:
    their claims (as columns) read by one query per CHUNK declarations, not per declaration
    (_evaluated)."""
    found: dict[int, tuple] = {}
    for start in range(0, len(declarations), CHUNK):
        chunk = {d.id: d for d in declarations[start : start + CHUNK]}
        claims = db.session.execute(_claims_of(), {"ids": list(chunk)})
        for row in claims:
            chunk[row.declaration_id].claims.append(DeclaredClaim(*row))
        found |= _evaluated(list(chunk.values()))
    return found


def _evaluated(declarations: list[Declared]) -> dict[int, tuple]:
    """The declared hours of these declarations (their claims read), by id: the claims counted
    elsewhere and the marks read for them all (declared_inputs); each evaluated once for the
    same inputs (_declared_hours)."""
    elsewhere, marks, scope = declared_inputs(declarations)
    return {
        d.id: _declared_hours(
            d.rule_set,
            d.year,
            tuple(d.claims),
            frozenset(elsewhere[d.id]),
            tuple((claim, tuple(sorted(m.items()))) for claim, m in sorted(marks[d.id].items())),
            scope,
        )  # fmt: skip
        for d in declarations
    }


@functools.cache
def _claims_of() -> sa.Select:
    """The claims of the declarations (their ids the `ids` parameter) as DeclaredClaim's
    columns, in each declaration's order: built once."""
    return (
        sa.select(*DeclaredClaim.columns())
        .where(Claim.declaration_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(Claim.declaration_id, Claim.position, Claim.id)
    )


@dataclass
class _Claims:
    """What declared_result reads of a declaration (its claims, rule set and year)."""

    rule_set: str
    year: int
    claims: list[DeclaredClaim]


@functools.lru_cache(maxsize=4096)  # as the engine's own memo
def _declared_hours(
    rule_set: str, year: int, claims: tuple[DeclaredClaim, ...], elsewhere: frozenset[int],
    marks: tuple, scope: str,
) -> tuple[rules.YearResult | None, str]:  # fmt: skip
    """declared_result of a declaration of these claims (their stored columns, the JSON as its
    text), kept for the same arguments: everything the engine's answer depends on (the claims
    counted elsewhere, the training marks, the highest-only scope; the rule set by its id, the
    code's). The dashboard shows the same drafts and waiting declarations again and again;
    only what changed is converted and evaluated. The result is immutable."""
    declared = _Claims(rule_set, year, list(claims))
    return declared_result(declared, set(elsewhere), {c: dict(m) for c, m in marks}, scope)


def _declared_of(rows: list[tuple], year: int) -> dict[int, tuple]:
    """_declared() of the drafts and waiting declarations among these (person, the year's
    declaration or None) rows."""
    return _declared([
        Declared(d.id, d.status, d.rule_set, year, d.unit_id, person)
        for person, d in rows
        if d is not None and d.status not in REVIEWED + NO_HOURS
    ])  # fmt: skip


class Listed(NamedTuple):
    """A person of the list: the columns it shows."""

    id: int
    name: str
    unit_id: int


class ListedDeclaration(NamedTuple):
    """A declaration of the list: the columns it shows and person_year reads."""

    id: int
    status: DeclarationStatus
    rule_set: str
    general_hours: int | None
    professional_hours: int | None
    unit_id: int | None


def people_page(
    unit_id: int, year: int, *, state: str | None = None, q: str = "", page: int = 1,
    per_page: int = PER_PAGE,
) -> Window:  # fmt: skip
    """One page of the unit's people in name order (filtered by state and name), as PersonYear
    rows of the columns the list shows (Listed, ListedDeclaration): the declared hours are
    evaluated for this page's drafts and waiting ones alone."""
    return people_and_counts(unit_id, year, state=state, q=q, page=page, per_page=per_page)[1]


def people_and_counts(
    unit_id: int, year: int, *, state: str | None = None, q: str = "", page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[dict[str, int], Window]:  # fmt: skip
    """The unit's people per state (every STATES key present) and people_page, in one
    statement: the unit's people with their year's declaration are read once for both (as two
    statements, each looked up every person's declaration of the year)."""
    q, page = q.strip(), max(1, page)
    statement = _people_page(state if state in STATES else None, bool(q), db.engine.dialect.name)
    found = db.session.execute(statement, {
        "unit_id": unit_id, "year": year, "q": like_text(q),
        "limit": per_page + 1, "offset": (page - 1) * per_page,
    }).all()  # fmt: skip
    counts = {row.state: row.number for row in found if row.counted}
    listed = [row for row in found if not row.counted]
    window = Window.of(listed, page, per_page)
    people = [Listed(*row[1:4]) for row in window.rows]
    declared = _evaluated([
        Declared(row.declaration_id, row.status, row.rule_set, year, row.declared_unit_id, person,
                 _claims_along(row.claims))
        for person, row in zip(people, window.rows, strict=True)
        if row.state in EVALUATED
    ])  # fmt: skip
    window.rows = [
        person_year(person, ListedDeclaration(*row[4:10]) if row[4] is not None else None,
                    year, declared)
        for person, row in zip(people, window.rows, strict=True)
    ]  # fmt: skip
    return {key: counts.get(key, 0) for key in STATES}, window


EVALUATED = ("draft", "waiting")  # the states whose hours are as declared (by the rules)


def _claims_along(text: str | None) -> list[DeclaredClaim]:
    """The claims brought along with a page's row (a JSON array, see _people_page; NULL when
    there are none on PostgreSQL) in the declaration's order, as _claims_of reads them."""
    values = sorted(json.loads(text or "[]"), key=lambda v: (v[-1], v[0]))  # position, id
    return [DeclaredClaim.of_json(v) for v in values]


@functools.lru_cache(maxsize=32)
def _people_page(state: str | None, named: bool, dialect: str) -> sa.CompoundSelect:
    """people_and_counts' statement for a state filter (None: all) and with or without a
    name filter (the `q` parameter), built once: the unit, the year and the page (`limit`,
    `offset`) are parameters. Rows: (counted, the person's and the declaration's columns,
    state, number: the state's people in a count row, else None, claims: a draft's or
    waiting declaration's claims as one JSON array of DeclaredClaim's values and the claim's
    position, else None), the page's rows in name order. The claims come along (json_rows,
    the database's SQL: dialect) instead of by a statement of their own after the page."""
    people = _people(sa.bindparam("unit_id"), sa.bindparam("year"), Professional.id, Professional.name, Professional.unit_id, *(
        Declaration.id.label("declaration_id"), Declaration.status, Declaration.rule_set,
        Declaration.general_hours, Declaration.professional_hours,
        Declaration.unit_id.label("declared_unit_id"), _state().label("state"),
    )).cte("people")  # fmt: skip
    c = people.c
    listed = (c.id, c.name, c.unit_id, c.declaration_id, c.status, c.rule_set, c.general_hours,
              c.professional_hours, c.declared_unit_id)  # fmt: skip
    picking = sa.select(sa.false().label("counted"), *listed, c.state,
                        sa.cast(sa.null(), sa.Integer).label("number"))  # fmt: skip
    if state is not None:
        picking = picking.where(c.state == state)
    if named:
        picking = picking.where(contains(c.name))
    picking = paged(picking.order_by(c.name, c.id)).subquery()
    claims = (
        sa.select(
            sa.cast(json_rows(dialect, *DeclaredClaim.expressions(), Claim.position), sa.Text)
        )
        .where(Claim.declaration_id == picking.c.declaration_id)
        .scalar_subquery()
    )
    evaluated = sa.case((picking.c.state.in_(EVALUATED), claims)).label("claims")
    nothing = [sa.null()] * len(listed)
    counting = sa.select(
        sa.true(), *nothing, c.state, sa.func.count(), sa.cast(sa.null(), sa.Text)
    ).group_by(c.state)
    both = sa.union_all(sa.select(picking, evaluated), counting)
    return both.order_by(both.selected_columns.counted, both.selected_columns.name,
                         both.selected_columns.id)  # fmt: skip


def unit_overview(
    user: User, year: int, *, state: str | None = None, q: str = "", page: int = 1,
    today: date | None = None,
) -> Overview:  # fmt: skip
    """The dashboard: the counts per state, one page of people, the longest waiting in the
    review queue and the open objections (each with its total)."""
    _require_unit_reviewer(user)
    today = today or local_today()
    rows = db.session.execute(_overview_query(), {"unit_id": user.unit_id}).all()
    waiting = [row for row in rows if row.objection is False]
    objected = [row for row in rows if row.objection]
    queue = [
        Waiting(row.id, row.name, row.year, row.status, row.moment, _days_since(row.moment, today))
        for row in waiting
    ]
    objections = [Objected(row.name, row.year, row.moment) for row in objected]
    return Overview(
        year,
        user.unit,
        *people_and_counts(user.unit_id, year, state=state, q=q, page=page),
        queue,
        waiting[0].total if waiting else 0,
        objections,
        objected[0].total if objected else 0,
    )


@functools.cache
def _overview_query() -> sa.CompoundSelect:
    """unit_overview's statement, built once (the unit is its parameter): the longest waiting
    in the review queue and the oldest open objections, each row with the total of its part
    (a window count before the LIMIT). Rows: (objection, id: the declaration's or the
    objection's, name, year, status (None for an objection), moment: submitted or objected,
    total)."""
    of_unit = sa.and_(
        Declaration.professional_id == Professional.id,
        Professional.unit_id == sa.bindparam("unit_id"),
    )
    queue = (
        sa.select(
            sa.false().label("objection"), Declaration.id, Professional.name, Declaration.year,
            Declaration.status, Declaration.submitted_at.label("moment"), _total(),
        )
        .join(Professional, of_unit)
        .where(Declaration.status.in_(WAITING))
        .order_by(Declaration.submitted_at, Declaration.id)
        .limit(SHOWN)
    )  # fmt: skip
    open_objections = (
        sa.select(
            sa.true(), Objection.id, Professional.name, Declaration.year,
            sa.cast(sa.null(), Declaration.status.type), Objection.created_at, _total(),
        )
        .select_from(Objection)
        .join(Declaration, Objection.declaration_id == Declaration.id)
        .join(Professional, of_unit)
        .where(Objection.status == ObjectionStatus.OPEN)
        .order_by(Objection.created_at, Objection.id)
        .limit(SHOWN)
    )  # fmt: skip
    # each part keeps its order (by position: SQLite finds such names in the tables too)
    parts = sa.union_all(queue.subquery().select(), open_objections.subquery().select())
    return parts.order_by(*map(sa.literal_column, ("1", "6", "2")))


def _total() -> sa.Label:
    """The number of rows the query finds before its LIMIT, on each row (a window count)."""
    return sa.func.count().over().label("total")


def _days_since(moment: datetime | None, today: date) -> int:
    return (today - moment.astimezone(LOCAL_TZ).date()).days if moment else 0


def short_people(unit_id: int | None, year: int) -> list[PersonYear]:
    """Everyone short of the year's requirement, in name order (the unit's, or the county's
    with None): the reviewed and compliant are left out in SQL; the declared hours of drafts
    and waiting declarations evaluated in chunks."""
    query = (
        _people(unit_id, year)
        .where(_state() != "met")
        .order_by(Professional.name, Professional.id)
        .options(selectinload(Professional.user))
    )
    rows = db.session.execute(query).all()
    declared = _declared_of(rows, year)
    return [entry for p, d in rows if (entry := person_year(p, d, year, declared)).short]


# Why a short person cannot be reminded in the portal (the export says it per person).
NO_ACCOUNT = "未开通账号（可发放激活码）"
DISABLED = "账号已停用"
REMINDER_KIND = "reminder.short"


def unreachable_reason(person: Professional) -> str:
    """'' when an in-portal message reaches the person; else why not."""
    if person.user is None:
        return NO_ACCOUNT
    if not person.user.active:
        return DISABLED
    return ""


@dataclass
class Reminded:
    """What one round of reminders did: sent now, already reminded today (not sent again),
    and the people it could not reach, with why."""

    sent: int = 0
    already: int = 0
    unreachable: list[tuple[PersonYear, str]] = field(default_factory=list)

    def reasons(self) -> dict[str, int]:
        counts = dict.fromkeys((NO_ACCOUNT, DISABLED), 0)
        for _entry, reason in self.unreachable:
            counts[reason] += 1
        return {reason: n for reason, n in counts.items() if n}

    def summary(self, year: int) -> str:
        text = f"已向 {self.sent} 名{year}年度学时未达标人员发送提醒"
        if self.already:
            text += f"；{self.already} 人今天已提醒过，未重复发送"
        if self.unreachable:
            reasons = "、".join(f"{reason} {n} 人" for reason, n in self.reasons().items())
            text += f"；{len(self.unreachable)} 人无法在系统内提醒：{reasons}，请以电话等方式通知（名单可导出）"
        return text + "。"


def _start_of_today() -> datetime:
    return datetime.combine(local_today(), time(), LOCAL_TZ).astimezone(UTC)


def _reminded_today(user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Notification.user_id).where(
                Notification.kind == REMINDER_KIND,
                Notification.created_at >= _start_of_today(),
                Notification.user_id.in_(user_ids),
            )
        )
    )


def _remind(entries: list[PersonYear], year: int) -> Reminded:
    """One message to each short person who has an active account and was not reminded today."""
    outcome = Reminded()
    reachable = []
    for entry in entries:
        reason = unreachable_reason(entry.person)
        if reason:
            outcome.unreachable.append((entry, reason))
        else:
            reachable.append(entry)
    done = set()
    for chunk in range(0, len(reachable), CHUNK):
        ids = [e.person.user.id for e in reachable[chunk : chunk + CHUNK]]
        done |= _reminded_today(ids)
    for entry in reachable:
        if entry.person.user.id in done:
            outcome.already += 1
            continue
        outcome.sent += notify(
            [entry.person.user],
            REMINDER_KIND,
            f"提醒：您{year}年度继续教育学时尚未达到要求（{entry.shortfall_text()}），请按时完成并申报。",
            "declarations.index",
        )
    return outcome


def _detail(year: int, outcome: Reminded, what: str) -> str:
    return (
        f"{year}年度{what}，提醒{outcome.sent}人，今日已提醒{outcome.already}人，"
        f"无法提醒{len(outcome.unreachable)}人"
    )


def remind_short(user: User, year: int) -> Reminded:
    """One in-app reminder to everyone of the unit who is short (not twice the same day)."""
    _require_unit_reviewer(user)
    outcome = _remind(short_people(user.unit_id, year), year)
    record("reminder.sent", user.unit, user=user, detail=_detail(year, outcome, ""))
    return outcome


def remind_county(year: int) -> Reminded:
    """The periodic reminder: everyone in the county who is short of the year's requirement."""
    outcome = _remind(short_people(None, year), year)
    record("reminder.sent", None, detail=_detail(year, outcome, "定时提醒"))
    return outcome


SHORT_COLUMNS = (
    "姓名",
    "身份证号码",
    "联系电话",
    "状态",
    "公需科目",
    "专业科目",
    "合计",
    "差额",
    "系统内提醒",
)


def short_rows(user: User, year: int) -> list[list]:
    """The unit's short people for the Excel export: what each lacks, and whether the
    portal can remind them."""
    _require_unit_reviewer(user)
    rows = []
    for entry in short_people(user.unit_id, year):
        declaration = entry.declaration
        rows.append(
            [
                entry.person.name,
                entry.person.masked_id_number,
                entry.person.phone,
                declaration.status.label if declaration else "未申报",
                entry.general,
                entry.professional,
                entry.total,
                entry.shortfall_text(),
                unreachable_reason(entry.person) or "可以",
            ]
        )
    return rows
