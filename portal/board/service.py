"""Publicity (公示): batches of approved declarations, the public board, objections (异议) and
closing the periods that are over. Operations take the acting user, flush and never commit."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from sqlalchemy.orm import aliased, contains_eager, joinedload

from portal import clock
from portal import pagecache as cache
from portal.accounts.models import Professional, Role, User
from portal.accounts.permissions import bureau_officers, can_publicise, unit_publicity_allowed
from portal.audit.service import record
from portal.board.models import Objection, ObjectionStatus, PublicityBatch
from portal.clock import local_today
from portal.declarations import lifecycle
from portal.declarations.lifecycle import Action
from portal.declarations.models import Declaration, DeclarationStatus, ReviewingBody
from portal.declarations.service import tell_reviewers
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.models_base import utcnow
from portal.notifications.service import notify
from portal.paging import PER_PAGE, Window
from portal.refusal import (
    CONFLICT,
    FORBIDDEN,
    INVALID,
    TOO_MANY,
    Refusal,
    forbidden,
    not_found,
)
from portal.settings import get_setting
from portal.units.models import Unit
from portal.workdays import service as workdays

# Sent with the declarations a batch registered (close_due; an import of years registered
# elsewhere), sender the acting user or None, in the same transaction: the statistics recompute
# the counties and years they belong to once it commits.
years_registered = Namespace().signal("years-registered")

RECENT_DAYS = 60  # closed batches stay on the public board this long after their end
BOARD_STATES = (DeclarationStatus.PUBLICISED, DeclarationStatus.REGISTERED)


def _require_officer(user: User) -> None:
    # Only the bureau opens batches and decides objections (unit reviewers approve, the bureau
    # publicises for the whole county).
    if not user.is_authenticated or user.role is not Role.BUREAU_OFFICER:
        raise forbidden("只有人社局经办人可以办理公示事项。")


MIN_PUBLICITY_DAYS = 5  # 004 第十四条: never fewer, whatever is configured


def require_publisher(user: User) -> None:
    """The bureau, or a unit reviewer when the bureau lets units publicise their own people."""
    if not user.is_authenticated:
        raise forbidden("只有人社局经办人可以办理公示事项。")
    if user.role is Role.BUREAU_OFFICER:
        return
    if user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        if unit_publicity_allowed():
            return
        raise forbidden("人社局未允许用人单位自行公示，请由人社局统一公示。")
    raise forbidden("只有人社局经办人可以办理公示事项。")


BUREAU_SUFFIX = "人力资源和社会保障局"


def county() -> str:
    """The county the bureau serves, from its name (示范县人力资源和社会保障局 → 示范县); in an
    instance of several counties, the name of the county acted for."""
    if not jurisdictions.is_single_county():
        node = jurisdictions.get(scope.home_county())
        if node is not None:
            return node.name
    name = str(get_setting("BUREAU_NAME") or "")
    return name.removesuffix(BUREAU_SUFFIX) if name.endswith(BUREAU_SUFFIX) else name


def publicity_days() -> int:
    """The bureau's publicity length in working days (setting PUBLICITY_WORKING_DAYS)."""
    return max(MIN_PUBLICITY_DAYS, int(get_setting("PUBLICITY_WORKING_DAYS")))


def publicity_period(start: date) -> tuple[date, date, list[str]]:
    """S..E holding the configured number of working days, by the bureau's calendar."""
    return workdays.publicity_period(start, publicity_days())


def default_start(today: date | None = None) -> date:
    """The next working day after today."""
    return workdays.next_workday(today or local_today())


# --- batches --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Eligible:
    """What the batch-opening form shows of an approved declaration waiting to be publicised
    (publicity/_open_form.html). The bureau's page reads these columns rather than the
    declarations, people, units and reviewers as ORM objects (four entities of about 80
    columns, set up for every row: about half the page with a few hundred waiting)."""

    id: int
    year: int
    general_hours: int | None
    professional_hours: int | None
    total_hours: int | None
    compliant: bool | None
    reviewed_at: datetime | None
    name: str
    unit_name: str | None  # None: a freelancer
    reviewer_name: str | None

    @classmethod
    def of(cls, declaration: Declaration) -> Eligible:
        person, reviewer = declaration.professional, declaration.reviewer
        return cls(
            declaration.id,
            declaration.year,
            declaration.general_hours,
            declaration.professional_hours,
            declaration.total_hours,
            declaration.compliant,
            declaration.reviewed_at,
            person.name,
            person.unit.name if person.unit else None,
            reviewer.name if reviewer else None,
        )


_REVIEWER = aliased(User, name="reviewer")  # made once: an alias costs ~0.3 ms to build and adapt


def eligible_declarations(unit_id: int | None = None, user: User | None = None) -> list[Eligible]:
    """Approved declarations not yet in a batch; unit_id 0 means freelancers. For a unit
    reviewer (`user`): only those its unit approved for its own people."""
    conditions = [Declaration.status == DeclarationStatus.APPROVED, Declaration.batch_id.is_(None)]
    if unit_id == 0:
        conditions.append(Professional.unit_id.is_(None))
    elif unit_id:
        conditions.append(Professional.unit_id == unit_id)
    order = (Professional.unit_id, Professional.name, Declaration.id)
    if user is not None and user.role is Role.UNIT_REVIEWER:
        unit_reviewers = sa.select(User.id).where(
            User.role == Role.UNIT_REVIEWER, User.unit_id == user.unit_id
        )
        query = (
            sa.select(Declaration)
            .join(Professional, Declaration.professional_id == Professional.id)
            .where(
                *conditions,
                Declaration.unit_id == user.unit_id,
                Declaration.reviewing_body == ReviewingBody.UNIT,
                Declaration.reviewer_id.in_(unit_reviewers),
                Professional.unit_id == user.unit_id,
            )
            .order_by(*order)
            .options(
                contains_eager(Declaration.professional).joinedload(Professional.unit),
                joinedload(Declaration.reviewer),
            )
        )
        # the same rule, object by object
        return [Eligible.of(d) for d in db.session.scalars(query) if can_publicise(user, d)]
    unit = "all" if unit_id is None else "freelancers" if unit_id == 0 else "one"
    return [Eligible(*row) for row in db.session.execute(_eligible(unit), {"unit_id": unit_id})]


@functools.lru_cache(maxsize=3)
def _eligible(unit: str) -> sa.Select:
    """The bureau's eligible declarations as columns, of every unit, of freelancers or of one
    unit (its id the `unit_id` parameter): built once each."""
    conditions = [Declaration.status == DeclarationStatus.APPROVED, Declaration.batch_id.is_(None)]
    if unit == "freelancers":
        conditions.append(Professional.unit_id.is_(None))
    elif unit == "one":
        conditions.append(Professional.unit_id == sa.bindparam("unit_id"))
    reviewer = _REVIEWER
    return (
        sa.select(
            Declaration.id,
            Declaration.year,
            Declaration.general_hours,
            Declaration.professional_hours,
            Declaration.total_hours,
            Declaration.compliant,
            Declaration.reviewed_at,
            Professional.name,
            Unit.name,
            reviewer.name,
        )
        .join(Professional, Declaration.professional_id == Professional.id)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
        .outerjoin(reviewer, Declaration.reviewer_id == reviewer.id)
        .where(*conditions)
        .order_by(Professional.unit_id, Professional.name, Declaration.id)
    )


def eligible_units(
    selected: int | None = None, listed: list[Eligible] | None = None
) -> list[tuple[int, str, int]]:
    """The unit filter's options: (unit id, name, approved declarations waiting) for the units
    with any waiting (0 for freelancers), and the selected unit even with none. A county has a
    thousand units; only those with something to publicise are offered. One query with the
    names (a second only for a selected unit with none waiting); none when `listed`, the
    eligible declarations of every unit the page has just read, is empty."""
    if selected is None and listed is not None and not listed:
        return []
    waiting = db.session.execute(
        sa.select(Professional.unit_id, Unit.name, sa.func.count(Declaration.id))
        .join(Declaration, Declaration.professional_id == Professional.id)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
        .where(Declaration.status == DeclarationStatus.APPROVED, Declaration.batch_id.is_(None))
        .group_by(Professional.unit_id, Unit.name)
        .order_by(Unit.name)
    ).all()
    counts = {unit_id: n for unit_id, _, n in waiting}
    names = [(unit_id, name) for unit_id, name, _ in waiting if name is not None]
    if selected and selected not in counts:  # in its place among the names as SQL sorts them
        wanted = [u for u in counts if u is not None] + [selected]
        names = db.session.execute(
            sa.select(Unit.id, Unit.name).where(Unit.id.in_(wanted)).order_by(Unit.name)
        ).all()
    options = [(unit_id, name, counts.get(unit_id, 0)) for unit_id, name in names]
    if None in counts or selected == 0:
        options.insert(0, (0, "自由职业", counts.get(None, 0)))
    return options


def unit_batches(user: User, limit: int = 50) -> list[tuple[PublicityBatch, int]]:
    """The batches this reviewer's unit opened, with the number of records in each."""
    query = (
        sa.select(PublicityBatch, sa.func.count(Declaration.id))
        .join(User, PublicityBatch.created_by_id == User.id)
        .outerjoin(Declaration, Declaration.batch_id == PublicityBatch.id)
        .where(User.role == Role.UNIT_REVIEWER, User.unit_id == user.unit_id)
        .group_by(PublicityBatch.id)
        .order_by(PublicityBatch.start_date.desc(), PublicityBatch.id.desc())
        .limit(limit)
    )
    return [(batch, count) for batch, count in db.session.execute(query)]


def get_batch(user: User, batch_id: int) -> PublicityBatch:
    """A batch for the publicity pages: any for the bureau, its own unit's for a unit."""
    require_publisher(user)
    batch = db.session.get(PublicityBatch, batch_id)
    if batch is None:
        raise not_found()
    if user.role is not Role.BUREAU_OFFICER:
        opener = batch.created_by
        if (
            opener is None
            or opener.role is not Role.UNIT_REVIEWER
            or opener.unit_id != user.unit_id
        ):
            raise not_found()
    return batch


def open_batch(
    user: User,
    declaration_ids: list[int],
    start: date,
    title: str = "",
    today: date | None = None,
) -> PublicityBatch:
    """Put approved declarations on the board from S (the first working day on or after
    `start`) for the bureau's publicity length (never under 5 working days); they become
    PUBLICISED. A unit (when allowed) publicises only what it approved for its own people."""
    require_publisher(user)
    if not declaration_ids:
        raise Refusal("请至少选择一份核验通过的申报。", INVALID, field="declarations")
    declarations = list(
        db.session.scalars(sa.select(Declaration).where(Declaration.id.in_(declaration_ids)))
    )
    if any(not can_publicise(user, d) for d in declarations):
        raise Refusal(
            "所选申报中有的不是本单位核验通过的本单位人员申报，不能由本单位公示。",
            FORBIDDEN,
            action="publicity.batch_opened",
            user=user,
        )
    bad = [
        d
        for d in declarations
        if not lifecycle.allowed_in(d.status, Action.PUBLICISE) or d.batch_id is not None
    ]
    if bad or len(declarations) != len(set(declaration_ids)):
        raise Refusal(
            "所选申报中有的已不是“核验通过”状态或已在其他公示批次中，请刷新后重选。", CONFLICT
        )
    if start < (today or local_today()):
        # Backdating would register records that nobody had the chance to object to.
        raise Refusal(
            f"公示开始日期不能早于今天：公示期须为今后实际公开的{publicity_days()}个工作日。",
            INVALID,
            field="start",
        )
    first, end, warnings = publicity_period(start)
    years = sorted({d.year for d in declarations})
    publisher = user.unit.name if user.role is Role.UNIT_REVIEWER and user.unit else county()
    batch = PublicityBatch(
        title=(title or "").strip()
        or f"{publisher}{'、'.join(map(str, years))}年度专业技术人员继续教育学时登记公示"
        f"（{first:%Y-%m-%d}）",
        start_date=first,
        end_date=end,
        created_by_id=user.id,
    )
    db.session.add(batch)
    db.session.flush()
    for declaration in declarations:
        declaration.batch_id = batch.id
        lifecycle.transition(user, declaration, Action.PUBLICISE)
        record("publicity.added", declaration, user=user, detail=f"批次#{batch.id}")
    db.session.flush()
    record(
        "publicity.batch_opened",
        batch,
        user=user,
        detail=f"{first.isoformat()}至{end.isoformat()} {len(declarations)}份"
        + ("；" + "；".join(warnings) if warnings else ""),
    )
    cache.clear()
    return batch


def batches(limit: int = 50) -> list[tuple[PublicityBatch, int]]:
    """The latest batches with the number of records in each, in one query. Each count is a
    correlated count(*) over the batch index, for the batches shown only (joining every
    batch's declarations and grouping made SQLite sort the batches after counting the whole
    county's: 1.5 ms instead of 0.5)."""
    return [(batch, count) for batch, count in db.session.execute(_latest_batches(limit))]


@functools.lru_cache(maxsize=4)
def _latest_batches(limit: int) -> sa.Select:
    records = (
        sa.select(sa.func.count())
        .where(Declaration.batch_id == PublicityBatch.id)
        .correlate(PublicityBatch)
        .scalar_subquery()
    )
    return (
        sa.select(PublicityBatch, records)
        .order_by(PublicityBatch.start_date.desc(), PublicityBatch.id.desc())
        .limit(limit)
    )


_OPEN_OBJECTIONS = sa.select(sa.func.count(Objection.id)).where(
    Objection.status == ObjectionStatus.OPEN
)  # built once


def open_objection_count() -> int:
    return db.session.scalar(_OPEN_OBJECTIONS)


def running(batch: PublicityBatch, today: date | None = None) -> bool:
    today = today or local_today()
    return batch.start_date <= today <= batch.end_date


BOARD_STATE_CHOICES = {s.value: s.label for s in BOARD_STATES}


@dataclass
class BoardFilter:
    q: str = ""  # a name, a unit or a batch title
    batch_id: int | None = None
    state: str = ""  # one of BOARD_STATE_CHOICES, or all
    archived: bool = False  # also batches that ended more than RECENT_DAYS ago
    page: int = 1


def board_batch_list(today: date | None = None) -> list[PublicityBatch]:
    """Every batch that has started, newest first: the board's batch filter, archived ones too."""
    today = today or local_today()
    return list(
        db.session.scalars(
            sa.select(PublicityBatch)
            .where(PublicityBatch.start_date <= today)  # not public before the period starts
            .order_by(PublicityBatch.start_date.desc(), PublicityBatch.id.desc())
        )
    )


def board_page(wanted: BoardFilter, today: date | None = None) -> Window:
    """One page of the public board: rows of (declaration, batch) with the person and unit
    loaded in the same query; publicised and registered records only (never revoked ones).
    Batches ended more than RECENT_DAYS ago show when asked for (archived, or by batch)."""
    today = today or local_today()
    page = max(1, wanted.page)
    ids = (
        sa.select(Declaration.id)
        .join(PublicityBatch, Declaration.batch_id == PublicityBatch.id)
        .join(Professional, Declaration.professional_id == Professional.id)
        .outerjoin(Unit, Professional.unit_id == Unit.id)
        .where(Declaration.status.in_(BOARD_STATES), PublicityBatch.start_date <= today)
    )
    if wanted.batch_id:
        ids = ids.where(Declaration.batch_id == wanted.batch_id)
    elif not wanted.archived:
        ids = ids.where(PublicityBatch.end_date >= today - timedelta(days=RECENT_DAYS))
    if wanted.state in BOARD_STATE_CHOICES:
        ids = ids.where(Declaration.status == DeclarationStatus(wanted.state))
    if wanted.q.strip():
        text = wanted.q.strip()
        ids = ids.where(
            sa.or_(
                Professional.name.contains(text, autoescape=True),
                Unit.name.contains(text, autoescape=True),
                PublicityBatch.title.contains(text, autoescape=True),
            )
        )
    # Newest batch first (ids grow with time). The page's ids are picked first, so that only
    # narrow rows are sorted; then the 50 rows are read whole, with person, unit and batch.
    order = (Declaration.batch_id.desc(), Declaration.id.desc())
    ids = ids.order_by(*order).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    query = (
        sa.select(Declaration, PublicityBatch)
        .join(PublicityBatch, Declaration.batch_id == PublicityBatch.id)
        .join(Declaration.professional)
        .outerjoin(Professional.unit)
        .where(Declaration.id.in_(ids.scalar_subquery()))
        .options(contains_eager(Declaration.professional).contains_eager(Professional.unit))
        .order_by(*order)
    )
    rows = list(db.session.execute(query).all())
    return Window(rows[:PER_PAGE], page, PER_PAGE, len(rows) > PER_PAGE)


# --- objections -----------------------------------------------------------------------------


def objectable(declaration_id: int, today: date | None = None) -> Declaration:
    """A record anyone may object to now: publicised and in its period; 404 otherwise."""
    declaration = db.session.get(Declaration, declaration_id)
    if (
        declaration is None
        or declaration.status is not DeclarationStatus.PUBLICISED
        or declaration.batch_id is None
        or not running(db.session.get(PublicityBatch, declaration.batch_id), today)
    ):
        raise not_found("该记录不在公示期内或不存在。")
    return declaration


def raise_objection(
    declaration: Declaration,
    name: str,
    contact: str,
    content: str,
    ip: str,
    today: date | None = None,
) -> Objection:
    """A member of the public objects; limited per address (OBJECTION_LIMIT_PER_HOUR)."""
    batch = db.session.get(PublicityBatch, declaration.batch_id) if declaration.batch_id else None
    if (
        declaration.status is not DeclarationStatus.PUBLICISED
        or not batch
        or not running(batch, today)
    ):
        raise Refusal("该记录不在公示期内，不能提出异议。", CONFLICT)
    limit = int(current_app.config.get("OBJECTION_LIMIT_PER_HOUR", 5))
    recent = db.session.scalar(
        sa.select(sa.func.count(Objection.id)).where(
            Objection.ip == ip, Objection.created_at >= utcnow() - timedelta(hours=1)
        )
    )
    if recent >= limit:
        raise Refusal(
            "您提交得过于频繁，请一小时后再试。",
            TOO_MANY,
            action="objection.raised",
            obj=declaration,
        )
    objection = Objection(
        declaration_id=declaration.id,
        name=name.strip(),
        contact=contact.strip(),
        content=content.strip(),
        ip=ip,
        reference=new_reference(),
    )
    db.session.add(objection)
    db.session.flush()
    record(
        "objection.raised",
        objection,
        detail=f"申报#{declaration.id}，异议编号{objection.reference}",
    )
    notify(
        [declaration.professional.user],
        "objection.raised",
        f"有人对您公示中的{declaration.year}年度学时记录提出了异议，人社局将依规核实处理。",
        "declarations.edit",
        year=declaration.year,
    )
    notify(
        bureau_officers(county=declaration.jurisdiction_code),
        "objection.raised",
        f"{declaration.audit_name}收到异议，待处理。",
        "publicity.objections",
    )
    return objection


# 异议编号: YY- and 12 characters without 0/O, 1/I (read aloud, typed from a note); about 60
# bits, so that the public page cannot be walked by guessing numbers.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))
    return f"YY-{body[:4]}-{body[4:8]}-{body[8:]}"


def normal_reference(value: str) -> str:
    """What a person typed, as stored: upper case, dashes where they belong."""
    body = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    body = body.removeprefix("YY")
    if len(body) != 12 or any(ch not in REFERENCE_ALPHABET for ch in body):
        return ""
    return f"YY-{body[:4]}-{body[4:8]}-{body[8:]}"


def objection_by_reference(value: str) -> Objection:
    """The objection its number names (the public follow-up page); one answer for any miss."""
    reference = normal_reference(value)
    objection = (
        db.session.scalar(sa.select(Objection).filter_by(reference=reference))
        if reference
        else None
    )
    if objection is None:
        raise not_found("没有该编号的异议，请核对异议编号。")
    return objection


def objection_outcome(objection: Objection) -> str:
    """The public wording of where an objection stands."""
    if objection.status is ObjectionStatus.OPEN:
        return "人社局正在核实处理。"
    if objection.status is ObjectionStatus.DISMISSED:
        return "经核实，异议不成立，该学时记录维持不变。"
    status = objection.declaration.status
    if status is DeclarationStatus.REVOKED:
        return "经核实，异议成立，该学时记录已撤销。"
    return "经核实，异议成立，该学时记录已退回重新核验。"


def objections(status: ObjectionStatus | None = ObjectionStatus.OPEN) -> list[Objection]:
    query = sa.select(Objection).order_by(Objection.created_at.desc(), Objection.id.desc())
    if status is not None:
        query = query.where(Objection.status == status)
    return list(db.session.scalars(query))


DISMISS, REVOKE, REREVIEW = "dismiss", "revoke", "rereview"
OUTCOMES = {
    DISMISS: "异议不成立（驳回异议）",
    REVOKE: "异议成立：撤销该记录",
    REREVIEW: "异议成立：退回重新核验",
}


def decide_objection(user: User, objection: Objection, outcome: str, reason: str) -> Objection:
    """Uphold (revoke the record, or send it back to review) or dismiss, with a written reason."""
    _require_officer(user)
    if objection.status is not ObjectionStatus.OPEN:
        raise Refusal("该异议已处理。", CONFLICT)
    if outcome not in OUTCOMES:
        raise Refusal("请选择处理结果。", INVALID, field="outcome")
    if not (reason or "").strip():
        raise Refusal("请填写处理理由。", INVALID, field="reason")
    declaration = objection.declaration
    objection.decided_by_id, objection.decided_at = user.id, utcnow()
    objection.decision_reason = reason.strip()
    if outcome == DISMISS:
        objection.status = ObjectionStatus.DISMISSED
    else:
        lifecycle.transition(
            user, declaration, Action.REVOKE if outcome == REVOKE else Action.SEND_BACK
        )
        objection.status = ObjectionStatus.UPHELD
        if outcome == REREVIEW:
            # Back to the reviewer; it leaves the batch and will be publicised again if approved.
            declaration.batch_id = None
            # A two-step declaration goes through both steps again.
            declaration.first_reviewer_id = declaration.first_reviewed_at = None
            declaration.first_review_note = ""
            declaration.general_hours = declaration.professional_hours = None
            declaration.total_hours = None
            declaration.compliant = None
        record(
            "declaration.revoked" if outcome == REVOKE else "declaration.sent_back",
            declaration,
            user=user,
            detail=f"异议#{objection.id} {reason.strip()}",
        )
    db.session.flush()
    record(
        "objection.decided",
        objection,
        user=user,
        detail=f"{OUTCOMES[outcome]}：{reason.strip()}",
    )
    cache.clear()
    notify(
        [declaration.professional.user],
        "objection.decided",
        f"对您{declaration.year}年度学时记录的异议已处理：{OUTCOMES[outcome]}。理由：{reason.strip()}",
        "declarations.edit",
        year=declaration.year,
    )
    if outcome == REREVIEW:
        tell_reviewers(declaration, "因异议成立退回重新核验")
    return objection


# --- closing --------------------------------------------------------------------------------


@dataclass
class CloseSummary:
    registered: list[Declaration] = field(default_factory=list)
    held: list[Declaration] = field(default_factory=list)
    closed_batches: list[PublicityBatch] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"公示办结：登记 {len(self.registered)} 份，因异议暂缓 {len(self.held)} 份，"
            f"关闭公示批次 {len(self.closed_batches)} 个 / Publicity closed: "
            f"{len(self.registered)} registered, {len(self.held)} held back by objections, "
            f"{len(self.closed_batches)} batches closed"
        )


def _tell_registered(declaration: Declaration) -> None:
    owner = [declaration.professional.user]
    notify(
        owner,
        "declaration.registered",
        f"您的{declaration.year}年度学时已登记：公需科目{declaration.general_hours or 0}学时，"
        f"专业科目{declaration.professional_hours or 0}学时。",
        "declarations.edit",
        year=declaration.year,
    )
    notify(
        owner,
        "certificate.printable",
        f"{declaration.year}年度学时已可打印在学时登记证书上。",
        "certificates.mine",
    )


def close_due(today: date | None = None, user: User | None = None) -> CloseSummary:
    """Register every publicised record whose period ended before `today` and that has no
    open or upheld objection; close batches whose records are all settled. Idempotent.

    A `today` after the real one is refused: it would register records whose publicity, and
    the public's chance to object, has not ended yet."""
    if today is not None and today > clock.local_today():
        raise Refusal(
            f"日期{today.isoformat()}晚于今天（{clock.local_today().isoformat()}），"
            "不能提前办结公示期未满的记录。",
            INVALID,
        )
    today = today or local_today()
    summary = CloseSummary()
    due = db.session.scalars(
        sa.select(Declaration)
        .join(PublicityBatch, Declaration.batch_id == PublicityBatch.id)
        .where(
            Declaration.status == DeclarationStatus.PUBLICISED,
            PublicityBatch.end_date < today,
        )
        .order_by(Declaration.id)
    ).all()
    held_ids = set(
        db.session.scalars(
            sa.select(Objection.declaration_id).where(
                Objection.status.in_((ObjectionStatus.OPEN, ObjectionStatus.UPHELD))
            )
        )
    )
    now = utcnow()
    for declaration in due:
        if declaration.id in held_ids:
            summary.held.append(declaration)
            continue
        lifecycle.transition(user, declaration, Action.REGISTER)
        declaration.registered_at = now
        declaration.registered_on = today
        summary.registered.append(declaration)
        record("publicity.registered", declaration, user=user, detail=f"登记日期{today}")
        _tell_registered(declaration)
    db.session.flush()
    open_batches = db.session.scalars(
        sa.select(PublicityBatch)
        .where(PublicityBatch.closed_at.is_(None), PublicityBatch.end_date < today)
        .order_by(PublicityBatch.id)
    ).all()
    for batch in open_batches:
        if all(d.status is not DeclarationStatus.PUBLICISED for d in batch.declarations):
            batch.closed_at = now
            summary.closed_batches.append(batch)
            record("publicity.batch_closed", batch, user=user, detail=batch.title)
    db.session.flush()
    if summary.registered:
        years_registered.send(user, declarations=summary.registered)
    if summary.registered or summary.closed_batches:
        cache.clear()
    return summary
