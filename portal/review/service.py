"""Review (核验): item-by-item decisions, approval with the accepted hours, rejection, requests for
more evidence, and confirming self-registered people. Every operation takes the acting user,
asks the lifecycle (which checks `can_review`), flushes and never commits."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal import rules
from portal.accounts.models import PersonStatus, Professional, Role, User, mask_id_number
from portal.accounts.permissions import (
    can_review,
    reviewable_condition,
    reviewable_people,
    reviewed_under,
    reviews_declaration,
    reviews_now,
    staffed_authority,
)
from portal.audit.service import record
from portal.declarations import duplicates, lifecycle
from portal.declarations import service as declarations
from portal.declarations.lifecycle import Action
from portal.declarations.models import (
    Claim,
    ClaimDecision,
    Declaration,
    DeclarationStatus,
    ReviewingBody,
    status_label_of,
)
from portal.extensions import db
from portal.jurisdictions import scope
from portal.models_base import utcnow
from portal.notifications.service import notify
from portal.paging import PER_PAGE, Window, contains, like_text, paged
from portal.providers import service as providers
from portal.refusal import CONFLICT, INVALID, Refusal, forbidden, not_found
from portal.rules import SUBJECT_LABELS
from portal.units.models import FirstReview, Unit

REVIEWABLE = tuple(
    status
    for status in DeclarationStatus
    if lifecycle.allowed_in(status, Action.APPROVE)
    or lifecycle.allowed_in(status, Action.PASS_PROFESSIONAL)
)
# In a two-step review: the first step's states, and the subject each step decides.
FIRST_STEP_STATES = (DeclarationStatus.SUBMITTED, DeclarationStatus.NEEDS_EVIDENCE)
FIRST_STEP_SUBJECT, SECOND_STEP_SUBJECT = "professional", "general"


# --- finding things -----------------------------------------------------------------------


@dataclass
class Queue:
    """One page of the queue, with the number of declarations in each state (same filters)."""

    window: Window
    counts: dict[DeclarationStatus, int]
    held: int = 0  # waiting, but held back until their person is confirmed (no filter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# The person cells every waiting list ends with (name, ID number shown masked, unit), read as
# columns by the review queues (QueueEntry) and the city's queue (city.service.SentShown).
PERSON_COLUMNS = (Professional.name, Professional.id_number, Unit.name)


class PersonCells:
    """A row ending with PERSON_COLUMNS' cells: name, id_number, unit_name (None: a
    freelancer); lists show the ID number masked."""

    __slots__ = ()
    id_number: str

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


@dataclass(frozen=True, slots=True)
class QueueEntry(PersonCells):
    """What a list of declarations waiting for review shows of one (the first five cells of
    review/_queue.html, review/first_steps.html and the city's list on verification/index.html,
    written out in each: a Jinja macro called per row cost ~10 µs a row). The queue reads these
    columns, not the declaration, person and unit as ORM objects: building 150 objects of 20–40
    columns was about a third of the page's CPU."""

    id: int
    year: int
    status: DeclarationStatus
    second_step_city: bool
    submitted_at: datetime | None
    name: str
    id_number: str
    unit_name: str | None  # None: a freelancer

    @staticmethod
    def columns() -> tuple:
        return (
            Declaration.id,
            Declaration.year,
            Declaration.status,
            Declaration.second_step_city,
            Declaration.submitted_at,
            *PERSON_COLUMNS,
        )

    @classmethod
    def of(cls, declaration: Declaration) -> QueueEntry:
        person = declaration.professional
        return cls(
            declaration.id,
            declaration.year,
            declaration.status,
            declaration.second_step_city,
            declaration.submitted_at,
            person.name,
            person.id_number,
            person.unit.name if person.unit else None,
        )

    @property
    def status_label(self) -> str:
        return status_label_of(self.status, self.second_step_city)


def _submitted_to(user: _Reviewer) -> sa.ColumnElement[bool] | None:
    """The declarations submitted to this user's unit, or to the bureau (fixed at submission,
    whatever the person's unit is now); None for a user nothing is submitted to."""
    if user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        return sa.and_(
            Declaration.reviewing_body == ReviewingBody.UNIT, Declaration.unit_id == user.unit_id
        )
    if user.role is Role.BUREAU_OFFICER:
        return Declaration.reviewing_body == ReviewingBody.BUREAU
    return None


def _person(*conditions) -> sa.ColumnElement[bool]:
    """SQL: the declaration's person meets the conditions (on Professional). A correlated
    EXISTS rather than a join: with the person joined, SQLite's planner scans the county's
    people instead of taking the few declarations in review from the status index."""
    return sa.exists().where(Professional.id == Declaration.professional_id, *conditions)


@dataclass(frozen=True)
class _Reviewer:
    """What of an account decides whose declarations wait for it."""

    role: Role
    unit_id: int | None
    authority_id: int | None


def _reviewer(user: User) -> _Reviewer:
    return _Reviewer(user.role, user.unit_id, user.authority_id)


def _person_state(confirmed: bool, named: bool) -> list[sa.ColumnElement[bool]]:
    """SQL on the person: confirmed or not, and (named) whose name contains the `q`
    parameter (paging.like_text)."""
    state = Professional.status == PersonStatus.CONFIRMED
    person = [state if confirmed else sa.not_(state)]
    if named:
        person.append(contains(Professional.name))
    return person


@functools.lru_cache(maxsize=64)
def _turn(user: _Reviewer) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """(the states, the alternatives) of the declarations whose turn is this reviewer's,
    whoever their person is."""
    states, options = [], []
    submitted = _submitted_to(user)
    if submitted is not None:  # a unit's reviewer, the bureau: the first steps of their people
        # no reviewer recorded: the person's current one
        unrecorded = sa.and_(
            Declaration.reviewing_body.is_(None), _person(reviewable_condition(user))
        )
        own = sa.or_(submitted, unrecorded)
        first_step = Declaration.status.in_(FIRST_STEP_STATES)
        states += FIRST_STEP_STATES
        options += [
            sa.and_(Declaration.first_step.is_(None), first_step, own),
            sa.and_(  # the person's reviewer: as the series says, or no authority officer
                sa.or_(
                    Declaration.first_step == FirstReview.UNIT,
                    sa.and_(
                        Declaration.first_step == FirstReview.AUTHORITY,
                        sa.not_(staffed_authority(Declaration.first_step_authority_id)),
                    ),
                ),
                first_step,
                own,
            ),
        ]
    if user.role is Role.AUTHORITY_OFFICER and user.authority_id is not None:
        states += FIRST_STEP_STATES
        options.append(
            sa.and_(
                Declaration.first_step == FirstReview.AUTHORITY,
                Declaration.first_step_authority_id == user.authority_id,
                Declaration.status.in_(FIRST_STEP_STATES),
            )
        )
    if user.role in (Role.BUREAU_OFFICER, Role.CITY_OFFICER):  # the second step
        states.append(DeclarationStatus.PROFESSIONAL_CHECKED)
        options.append(second_step_waiting(user.role is Role.CITY_OFFICER))
    if not options:  # nothing is anyone's turn with this account (a unit's without a unit)
        return sa.false(), sa.false()
    # Only the states of the steps this reviewer takes: PostgreSQL then reads the city's
    # second steps alone from the status index, not every county's first steps too.
    return Declaration.status.in_(states), sa.or_(*options)


def second_step_waiting(city: bool) -> sa.ColumnElement[bool]:
    """Two-step declarations whose first step passed, waiting for the county bureau's second
    step or (a senior-title holder's year, city True) the city's."""
    return sa.and_(
        Declaration.first_step.is_not(None),
        Declaration.status == DeclarationStatus.PROFESSIONAL_CHECKED,
        Declaration.second_step_city.is_(city),
    )


def review_queue(
    user: User, *, year: int | None = None, status: str | None = None, q: str = "", page: int = 1,
    per_page: int = PER_PAGE,
) -> Queue:  # fmt: skip
    """Declarations of confirmed people waiting for this user's review (submitted, waiting
    for evidence, or at its step of a two-step review): rows of (QueueEntry, number of
    claims), per_page of them (the longest waiting first), with the counts by state and the
    number held back by an unconfirmed person. Two statements, both built once: the page's
    keys with the counts, then the page's rows."""
    page = max(1, page)
    name = q.strip()
    statement = _keys_and_counts(_reviewer(user), bool(name), year or None, status or None)
    found = db.session.execute(statement, {
        "q": like_text(name), "limit": per_page + 1, "offset": (page - 1) * per_page,
    }).all()  # fmt: skip
    counts = {row.status: row.number for row in found if row.counted and row.number}
    held = sum(row.held for row in found if row.counted)
    ids = [row.number for row in found if not row.counted]
    rows = db.session.execute(_rows_statement(), {"ids": ids[:per_page]}).all() if ids else []
    window = Window([(QueueEntry(*row[:-1]), row[-1]) for row in rows], page, per_page)
    window.has_next = len(ids) > per_page
    return Queue(window, counts, held)


@functools.lru_cache(maxsize=256)
def _keys_and_counts(
    user: _Reviewer, named: bool, year: int | None, status: str | None
) -> sa.CompoundSelect:
    """The queue's page of keys (its limit and offset parameters; the longest waiting first)
    and its counts by state, in one statement built once per kind of reviewer and filters
    (SQLAlchemy then keeps its cache key; the name searched for is the `q` parameter, so a
    search does not build a statement of its own). The waiting declarations are read once, each
    person looked up once (a CTE both parts read): as two statements, the count and the page
    each read a big unit's 500 declarations and their people. Rows: (counted, status,
    number: the declaration's id or the state's ready ones, held: the state's declarations
    held back by an unconfirmed person (no name or year filter), since)."""
    states, turn = _turn(user)
    ready = _person(*_person_state(True, named))
    if year:
        ready = sa.and_(ready, Declaration.year == year)
    columns = [Declaration.id, Declaration.status, Declaration.submitted_at, _flag(ready, "ready")]
    if named or year:  # the held ones ignore the filters: their person is asked again
        columns.append(_flag(_person(*_person_state(False, False)), "held"))
    waiting = sa.select(*columns).where(states, turn).cte("waiting")
    picking = sa.select(
        sa.false().label("counted"), waiting.c.status, waiting.c.id.label("number"),
        sa.cast(sa.null(), sa.Integer).label("held"), waiting.c.submitted_at.label("since"),
    ).where(waiting.c.ready == 1)  # fmt: skip
    if status:
        picking = picking.where(waiting.c.status == status)
    picking = paged(picking.order_by(waiting.c.submitted_at, waiting.c.id)).subquery()
    # without filters the held ones are those not ready (every declaration has its person)
    held = (
        sa.func.sum(waiting.c.held)
        if named or year
        else sa.func.count() - sa.func.sum(waiting.c.ready)
    )
    counting = sa.select(
        sa.true(), waiting.c.status, sa.func.sum(waiting.c.ready), held, sa.null()
    ).group_by(waiting.c.status)
    return sa.union_all(sa.select(picking), counting)


def _flag(condition: sa.ColumnElement[bool], label: str) -> sa.Label:
    return sa.case((condition, 1), else_=0).label(label)


@functools.cache
def _rows_statement() -> sa.Select:
    """What the queue's rows show (the page's ids its parameter), with each one's number of
    claims: read for the page's declarations alone."""
    claims = (
        sa.select(sa.func.count(Claim.id))
        .where(Claim.declaration_id == Declaration.id)
        .correlate(Declaration)
        .scalar_subquery()
    )
    return (
        sa.select(*QueueEntry.columns(), claims)
        .join(Professional, Declaration.professional_id == Professional.id)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
        .where(Declaration.id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(Declaration.submitted_at, Declaration.id)
    )


@dataclass
class FirstStepGroup:
    """First steps of two-step declarations waiting, for one authority (None: units/bureau)."""

    name: str
    staffed: bool  # the authority has an officer account (else its people's units take it)
    declarations: list[QueueEntry]

    def age_days(self, declaration: QueueEntry) -> int:
        return (utcnow() - declaration.submitted_at).days if declaration.submitted_at else 0

    @property
    def oldest_days(self) -> int:
        return max((self.age_days(d) for d in self.declarations), default=0)


def first_steps_waiting(user: User) -> list[FirstStepGroup]:
    """The bureau's overview (issue 20.4): every two-step declaration waiting for its first
    step, by authority, oldest first, so that none waits where nobody looks."""
    if user.role is not Role.BUREAU_OFFICER:
        raise forbidden("只有人社局经办人可以查看全县待专业科目核验的申报。")
    staffed = staffed_authority(Declaration.first_step_authority_id).label("staffed")
    rows = db.session.execute(
        sa.select(Declaration, staffed)
        .where(
            Declaration.first_step.is_not(None),
            Declaration.status.in_(FIRST_STEP_STATES),
        )
        .options(
            joinedload(Declaration.professional).joinedload(Professional.unit),
            joinedload(Declaration.first_step_authority),
        )
        .order_by(Declaration.submitted_at, Declaration.id)
    ).all()
    groups: dict[str, FirstStepGroup] = {}
    for declaration, has_officer in rows:
        if declaration.first_step is FirstReview.AUTHORITY and declaration.first_step_authority:
            name, ok = declaration.first_step_authority.name, bool(has_officer)
        else:
            name, ok = "用人单位或县人社局（按职称系列设置）", True
        group = groups.setdefault(name, FirstStepGroup(name, ok, []))
        group.declarations.append(QueueEntry.of(declaration))
    return sorted(groups.values(), key=lambda g: -g.oldest_days)


def authorities_without_officers() -> list[str]:
    """Authorities whose series go to them first in two steps but that have no active officer
    account (their people's first step falls back to the unit or the bureau)."""
    from portal.units.models import Authority, TitleSeries

    return list(
        db.session.scalars(
            sa.select(Authority.name)
            .where(
                sa.exists().where(
                    TitleSeries.authority_id == Authority.id,
                    TitleSeries.first_review == FirstReview.AUTHORITY,
                ),
                sa.not_(staffed_authority(Authority.id)),
            )
            .order_by(Authority.name)
        )
    )


def get_declaration(user: User, declaration_id: int) -> Declaration:
    """A declaration this user reviews (at either step of a two-step review; or, read only,
    one submitted to this user's unit before the person moved on), past the draft stage; 404
    otherwise (no leak). Acting on it still asks the lifecycle, which wants the reviewer
    whose turn it is."""
    declaration = db.session.get(Declaration, declaration_id)
    if (
        declaration is None
        or declaration.status is DeclarationStatus.DRAFT
        or not (
            can_review(user, declaration.professional)
            or reviews_declaration(user, declaration)
            or reviewed_under(user, declaration)
        )
    ):
        raise not_found()
    scope.act_on(declaration)
    return declaration


def may_act(user: User, declaration: Declaration) -> bool:
    """Is the page's reviewing part for this user (its turn; not a former unit reading its
    year, nor the other step of a two-step review)?"""
    return declaration.status in REVIEWABLE and reviews_now(user, declaration)


def step_subject(declaration: Declaration) -> str | None:
    """The subject the current step decides in a two-step review (None: every claim)."""
    if not declaration.two_step:
        return None
    if declaration.status is DeclarationStatus.PROFESSIONAL_CHECKED:
        return SECOND_STEP_SUBJECT
    return FIRST_STEP_SUBJECT


def may_decide(user: User, claim: Claim) -> bool:
    """May this user decide this claim now (its turn, and the claim's subject is its step's)?"""
    subject = step_subject(claim.declaration)
    return may_act(user, claim.declaration) and subject in (None, claim.subject)


def require_people_rights(user: User) -> None:
    """Confirming people is the unit's or the bureau's, never an authority's."""
    if user.role not in (Role.UNIT_REVIEWER, Role.BUREAU_OFFICER):
        raise forbidden("只有单位经办人或人社局经办人可以确认人员。")


def get_claim(user: User, declaration_id: int, claim_id: int) -> Claim:
    declaration = get_declaration(user, declaration_id)
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.declaration_id != declaration.id:
        raise not_found()
    return claim


def get_person(user: User, person_id: int) -> Professional:
    person = db.session.get(Professional, person_id)
    if person is None or not can_review(user, person):
        raise not_found()
    return person


def _check_actionable(user: User, declaration: Declaration, action: Action) -> None:
    lifecycle.check(user, declaration, action)
    if declaration.professional.status is not PersonStatus.CONFIRMED:
        raise Refusal("该人员尚未确认在本单位工作，请先在“人员确认”中确认后再核验。", CONFLICT)


# --- the rules, as declared and as accepted -------------------------------------------------


def _counted_elsewhere(declaration: Declaration) -> set[int]:
    """Claims whose work already counted in another declaration."""
    return set(duplicates.counted_elsewhere(declaration))


def _evaluate(
    declaration: Declaration,
    *,
    decided: bool,
    elsewhere: set[int] | None = None,
    marks: dict[int, dict[str, bool]] | None = None,
    scope: str | None = None,
) -> rules.YearResult:
    """The rules engine over the declaration's claims; elsewhere, marks and scope (the claims
    counted elsewhere, the claim marks, the highest-only scope) when known already."""
    if elsewhere is None:
        elsewhere = _counted_elsewhere(declaration)
    if marks is None:
        marks = declarations.claim_marks(declaration)
    claims = [c.rule_claim(counted_elsewhere=c.id in elsewhere, decided=decided,
                           **marks.get(c.id, {}))
              for c in declaration.claims]  # fmt: skip
    return rules.evaluate_year(
        rules.get_rule_set(declaration.rule_set),
        declaration.year,
        claims,
        highest_only_scope=scope or declarations.highest_only_scope(),
    )


def declared_result(
    declaration: Declaration,
    elsewhere: set[int] | None = None,
    marks: dict[int, dict[str, bool]] | None = None,
    scope: str | None = None,
) -> tuple[rules.YearResult | None, str]:
    """The year as the professional declared it (hours by the rules); an error text if the
    stored facts no longer pass the rule set. elsewhere, marks, scope: see _evaluate (known
    already in declared_results)."""
    try:
        return _evaluate(
            declaration, decided=False, elsewhere=elsewhere, marks=marks, scope=scope
        ), ""
    except rules.RuleError as error:
        return None, str(error)


def declared_inputs(declarations_: list[Declaration]) -> tuple[dict, dict, str]:
    """What declared_result reads besides each declaration's claims, for all of them: the
    claims counted elsewhere and the claim marks by declaration id (one query each), the
    highest-only scope (the settings read once)."""
    return (
        duplicates.counted_elsewhere_many(declarations_),
        declarations.claim_marks_many(declarations_),
        declarations.highest_only_scope(),
    )


def declared_results(
    declarations_: list[Declaration],
) -> dict[int, tuple[rules.YearResult | None, str]]:
    """declared_result() of each declaration (claims loaded), by id (declared_inputs)."""
    elsewhere, marks, scope = declared_inputs(declarations_)
    return {d.id: declared_result(d, elsewhere[d.id], marks[d.id], scope) for d in declarations_}


def accepted_year(declaration: Declaration) -> rules.YearResult:
    """The year with the reviewer's decisions applied, by the rules engine itself: each claim
    is bounded by the hours the reviewer accepted (refused: 0), and only then do highest-only,
    the yearly caps and the rule set's requirement apply, since a reduction can change their
    outcome. Claims not yet decided count as declared (the preview before approval). A work
    already counted in another declaration does not count."""
    return _evaluate(declaration, decided=True)


UNFILED_BADGE, ELSEWHERE_BADGE = "未备案", "县外备案"


def filing_notes(declaration: Declaration) -> dict[int, list[tuple[str, str, str]]]:
    """Per claim id, (badge class, badge, text): where a prepared claim came from, and a
    professional training without an accepted plan's filing number (001 三: 未按要求进行备案
    备查的各类专业科目培训不予认可), or accepted as filed outside the county."""
    notes: dict[int, list[tuple[str, str, str]]] = {}
    for claim in declaration.claims:
        if claim.prepared:
            number = (claim.details or {}).get("plan_no")
            origin = f"，来自已备案培训计划 {number}" if number else ""
            notes.setdefault(claim.id, []).append(
                ("ok", "报送条目", f"{claim.source_label}{origin}")
            )
    refused = providers.unfiled_refused()
    by_id = {c.id: c for c in declaration.claims}
    for claim_id, message in providers.unfiled_claims(declaration).items():
        elsewhere = by_id[claim_id].filed_elsewhere
        if elsewhere:
            text = f"已按县外备案认定：{providers.FILED_ELSEWHERE.get(elsewhere, elsewhere)}。"
            notes.setdefault(claim_id, []).append(("ok", ELSEWHERE_BADGE, text))
            continue
        text = message + (
            "本局设置为不予认定（计0学时）；如属国家级、省级基地或外省备案的培训，"
            "请选择县外备案来源并在理由中写明依据后认定。"
            if refused
            else "本局设置为仅提示，请核实。"
        )
        notes.setdefault(claim_id, []).append(("err" if refused else "warn", UNFILED_BADGE, text))
    return notes


def duplicate_warnings(declaration: Declaration) -> dict[int, list[str]]:
    """Chinese warnings per claim id: the same work claimed before, the same file twice."""
    return duplicates.duplicate_flags(declaration)


# --- actions --------------------------------------------------------------------------------


def decide_claim(
    user: User,
    claim: Claim,
    decision: ClaimDecision,
    accepted_hours: int | None = None,
    reason: str = "",
    *,
    filed_elsewhere: str = "",
) -> Claim:
    """Accept, accept with fewer hours (reason required) or refuse (reason required). An
    unfiled professional training is accepted only as filed outside the county
    (`filed_elsewhere`, a FILED_ELSEWHERE key, and the why in `reason`)."""
    _check_actionable(user, claim.declaration, Action.DECIDE)
    subject = step_subject(claim.declaration)
    if subject is not None and claim.subject != subject:
        raise Refusal(
            f"分两步核验时，{SUBJECT_LABELS.get(claim.subject, claim.subject)}条目由"
            + (
                f"{claim.declaration.first_step_label}在专业科目核验中认定。"
                if claim.subject == FIRST_STEP_SUBJECT
                else "人社局在专业科目核验通过后认定。"
            ),
            CONFLICT,
            action="review.claim_decided",
            obj=claim,
            user=user,
        )
    elsewhere = ""
    if decision is not ClaimDecision.REFUSED:
        providers.check_filed_for_acceptance(claim, filed_elsewhere, reason)
        if filed_elsewhere and claim.id in providers.unfiled_claims(claim.declaration):
            elsewhere = filed_elsewhere
    reason = (reason or "").strip()
    if decision is ClaimDecision.ACCEPTED:
        accepted_hours, reason = claim.hours, reason
    elif decision is ClaimDecision.REDUCED:
        if accepted_hours is None or not 0 <= accepted_hours < claim.hours:
            raise Refusal(
                f"核减后的学时应不少于0且少于申报的{claim.hours}学时。",
                INVALID,
                field="accepted_hours",
            )
        if not reason:
            raise Refusal("核减学时须填写理由。", INVALID, field="reason")
    else:
        if not reason:
            raise Refusal("不予认定须填写理由。", INVALID, field="reason")
        accepted_hours = 0
    if elsewhere:
        reason = f"县外备案（{providers.FILED_ELSEWHERE[elsewhere]}）：{reason}"
    claim.decision, claim.accepted_hours, claim.decision_reason = decision, accepted_hours, reason
    claim.filed_elsewhere = elsewhere
    db.session.flush()
    record(
        "review.claim_decided",
        claim,
        user=user,
        detail=f"申报#{claim.declaration_id} 条目#{claim.id} {decision.label} "
        f"{accepted_hours}学时 {reason}".strip(),
    )
    return claim


def approve(user: User, declaration: Declaration, note: str = "") -> rules.YearResult:
    """Approve with the accepted hours; every claim must have been decided first."""
    _check_actionable(user, declaration, Action.APPROVE)
    if not declaration.claims:
        raise Refusal("该申报没有任何条目，不能核验通过。", CONFLICT)
    undecided = [i + 1 for i, c in enumerate(declaration.claims) if c.decision is None]
    if undecided:
        numbers = "、".join(f"第{n}项" for n in undecided)
        raise Refusal(f"请先对每一项作出认定：{numbers}尚未认定。", CONFLICT)
    year = accepted_year(declaration)
    declaration.general_hours = year.general
    declaration.professional_hours = year.professional
    declaration.total_hours = year.total
    declaration.compliant = year.compliant
    declaration.keep_counted(year)
    _close_review(user, declaration, Action.APPROVE, note)
    record(
        "review.approved",
        declaration,
        user=user,
        detail=f"公需{year.general} 专业{year.professional} 合计{year.total} "
        f"{'达标' if year.compliant else '未达标'} {note}".strip(),
    )
    _tell_owner(
        declaration,
        "declaration.approved",
        f"您的{declaration.year}年度学时申报核验通过：公需科目{year.general}学时，"
        f"专业科目{year.professional}学时，合计{year.total}学时，将进入公示。",
    )
    return year


def pass_professional(user: User, declaration: Declaration, note: str = "") -> Declaration:
    """The first step of a two-step review: the professional claims are decided and passed;
    the bureau then decides the general claims and the total. Who and when are kept."""
    _check_actionable(user, declaration, Action.PASS_PROFESSIONAL)
    undecided = [
        i + 1
        for i, c in enumerate(declaration.claims)
        if c.subject == FIRST_STEP_SUBJECT and c.decision is None
    ]
    if undecided:
        numbers = "、".join(f"第{n}项" for n in undecided)
        raise Refusal(f"请先对每一项专业科目条目作出认定：{numbers}尚未认定。", CONFLICT)
    lifecycle.transition(user, declaration, Action.PASS_PROFESSIONAL)
    declaration.first_reviewer_id = user.id
    declaration.first_reviewed_at = utcnow()
    declaration.first_review_note = (note or "").strip()
    db.session.flush()
    accepted = sum(
        c.accepted_hours or 0 for c in declaration.claims if c.subject == FIRST_STEP_SUBJECT
    )
    record(
        "review.professional_passed",
        declaration,
        user=user,
        detail=f"专业科目条目认定{accepted}学时 {declaration.first_review_note}".strip(),
    )
    _tell_owner(
        declaration,
        "declaration.professional_passed",
        f"您的{declaration.year}年度学时申报专业科目已由{declaration.first_step_label}核验通过，"
        "待人社局核验公需科目和总学时。",
    )
    declarations.tell_reviewers(declaration, "专业科目已核验通过")
    return declaration


def reject(user: User, declaration: Declaration, reason: str) -> Declaration:
    """Reject as a whole (e.g. 弄虚作假, 004 第十四条 / 第二十条); the reason is required."""
    _check_actionable(user, declaration, Action.REJECT)
    if not (reason or "").strip():
        raise Refusal("请填写不予通过的理由。", INVALID, field="reason")
    declaration.general_hours = declaration.professional_hours = declaration.total_hours = None
    declaration.compliant = None
    _close_review(user, declaration, Action.REJECT, reason.strip())
    record("review.rejected", declaration, user=user, detail=reason.strip())
    _tell_owner(
        declaration,
        "declaration.rejected",
        f"您的{declaration.year}年度学时申报核验未通过：{reason.strip()}",
    )
    return declaration


def request_evidence(user: User, declaration: Declaration, note: str) -> Declaration:
    """Ask for more evidence: the professional may then only add files."""
    _check_actionable(user, declaration, Action.REQUEST_EVIDENCE)
    if not (note or "").strip():
        raise Refusal("请写明需要补充哪些证明材料。", INVALID, field="note")
    if declaration.status is DeclarationStatus.PROFESSIONAL_CHECKED:
        # Asked for in the second step: once resubmitted it goes through both steps again.
        reset_first_step(declaration)
    lifecycle.transition(user, declaration, Action.REQUEST_EVIDENCE)
    declaration.review_note = note.strip()
    declaration.reviewer_id = user.id
    db.session.flush()
    record("review.evidence_requested", declaration, user=user, detail=note.strip())
    _tell_owner(
        declaration,
        "declaration.evidence_requested",
        f"您的{declaration.year}年度学时申报需要补充证明材料：{note.strip()}",
    )
    return declaration


def reset_first_step(declaration: Declaration) -> None:
    """A two-step declaration back at its first step forgets who passed it (the audit log
    keeps it)."""
    declaration.first_reviewer_id = declaration.first_reviewed_at = None
    declaration.first_review_note = ""


def _tell_owner(declaration: Declaration, kind: str, text: str) -> None:
    notify([declaration.professional.user], kind, text, "declarations.edit", year=declaration.year)


def _close_review(user: User, declaration: Declaration, action: Action, note: str):
    lifecycle.transition(user, declaration, action)
    declaration.reviewer_id = user.id
    declaration.reviewed_at = utcnow()
    declaration.review_note = note
    db.session.flush()


# --- people --------------------------------------------------------------------------------


def pending_people(user: User) -> list[Professional]:
    query = (
        reviewable_people(user)
        .where(Professional.status == PersonStatus.PENDING)
        .order_by(Professional.created_at, Professional.id)
    )
    return list(db.session.scalars(query))


def confirm_person(user: User, person: Professional) -> Professional:
    """The unit (or the bureau) confirms that this person really works there."""
    if not can_review(user, person):
        raise not_found()
    if person.status is not PersonStatus.PENDING:
        raise Refusal(f"该人员当前状态为“{person.status.label}”，无需确认。", CONFLICT)
    person.status = PersonStatus.CONFIRMED
    person.confirmed_by_id = user.id
    person.confirmed_at = utcnow()
    person.status_note = ""
    db.session.flush()
    record("person.confirmed", person, user=user, detail=person.name)
    notify(
        [person.user],
        "person.confirmed",
        "您的人员信息已确认，可以申报年度学时。",
        "declarations.index",
    )
    return person


def refuse_person(user: User, person: Professional, reason: str) -> Professional:
    if not can_review(user, person):
        raise not_found()
    if person.status is not PersonStatus.PENDING:
        raise Refusal(f"该人员当前状态为“{person.status.label}”，不能再处理。", CONFLICT)
    if not (reason or "").strip():
        raise Refusal("请填写不予确认的理由。", INVALID, field="reason")
    person.status = PersonStatus.REFUSED
    person.confirmed_by_id = user.id
    person.confirmed_at = utcnow()
    person.status_note = reason.strip()[:200]
    db.session.flush()
    record("person.refused", person, user=user, detail=f"{person.name} {reason.strip()}")
    notify([person.user], "person.refused", f"您的人员信息未获确认：{reason.strip()}")
    return person
