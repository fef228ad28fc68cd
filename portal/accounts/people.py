"""A person over time: titles held and employment periods. Operations take the acting user,
flush, audit, and never commit.

`Professional.unit_id` is the current unit that the rest of the portal reads; `move` is the one
place that changes it, together with the open employment period, so the two never disagree.
A move to a unit of another county of the instance also hands the person's record (and account)
to that county (`_hand_over`); the years registered before stay with the county that registered
them, which keeps seeing the person (FormerJurisdiction, 已调出).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import (
    Employment,
    MoveRequest,
    MoveStatus,
    PersonStatus,
    PersonTitle,
    Professional,
    Role,
    User,
)
from portal.accounts.permissions import bureau_officers, can_confirm_move, unit_reviewers
from portal.audit.service import record
from portal.clock import local_today
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import FormerJurisdiction
from portal.models_base import utcnow
from portal.notifications.service import notify
from portal.refusal import CONFLICT, FORBIDDEN, INVALID, Refusal, not_found
from portal.units.models import TitleLevel, TitleSeries, Unit


def open_employment(person: Professional) -> Employment | None:
    return next((e for e in person.employments if e.ended_on is None), None)


def move(actor: User, person: Professional, unit: Unit | None, started_on: date) -> Employment:
    """Start an employment period at `unit` (None: freelance) on `started_on`; the open period
    ends the day before, and the person's current unit follows."""
    current = open_employment(person)
    if current is not None and started_on == current.started_on:
        # Corrected on the day it began (e.g. a re-registration): the open period is replaced.
        person.employments.remove(current)
        db.session.flush()
        current = open_employment(person)
    if current is not None:
        if started_on < current.started_on:
            raise Refusal(
                f"新工作经历的开始日期须晚于当前经历的开始日期（{current.started_on:%Y-%m-%d}）。",
                INVALID,
                field="started_on",
            )
        if current.unit_id == (unit.id if unit else None):
            raise Refusal("该人员已在此单位任职，无需变更。", INVALID, field="unit")
        current.ended_on = started_on - timedelta(days=1)
    employment = Employment(professional=person, unit=unit, started_on=started_on)
    db.session.add(employment)
    person.unit = unit
    handed = _hand_over(person, unit, started_on)
    db.session.flush()
    before = current.unit_name if current else "（无记录）"
    record(
        "person.moved",
        person,
        user=actor,
        detail=f"{before} → {employment.unit_name}，自{started_on:%Y-%m-%d}起{handed}",
    )
    return employment


def _hand_over(person: Professional, unit: Unit | None, day: date) -> str:
    """A unit of another county: the person's record and account go to that county, which now
    reviews and keeps them; the county left keeps seeing the person (已调出) and the years it
    registered. Freelance stays in the person's county. Returns the audit's words."""
    new = unit.jurisdiction_code if unit is not None else person.jurisdiction_code
    old = person.jurisdiction_code
    if new == old:
        return ""
    if db.session.get(FormerJurisdiction, (person.id, old)) is None:
        db.session.add(FormerJurisdiction(professional_id=person.id, jurisdiction_code=old,
                                          left_on=day))  # fmt: skip
    back = db.session.get(FormerJurisdiction, (person.id, new))
    if back is not None:  # moving back: theirs again
        db.session.delete(back)
    person.jurisdiction_code = new
    if person.user is not None:
        person.user.jurisdiction_code = new
    node = jurisdictions.get(new)
    return f"，档案移交{node.name if node else new}"


def add_title(
    actor: User,
    person: Professional,
    series: TitleSeries,
    level: TitleLevel,
    obtained: date,
    appointed: date | None = None,
    name: str = "",
) -> PersonTitle:
    if appointed is not None and appointed < obtained:
        raise Refusal("聘任时间不能早于取得时间。", INVALID, field="appointed")
    title = PersonTitle(
        professional=person,
        series=series,
        level=level,
        name=name,
        obtained=obtained,
        appointed=appointed,
    )
    db.session.add(title)
    db.session.flush()
    detail = f"{series.name} {level.label} {name}，取得{obtained:%Y-%m-%d}".replace("  ", " ")
    if appointed:
        detail += f"，聘任{appointed:%Y-%m-%d}"
    record("person.title_added", person, user=actor, detail=detail)
    return title


def set_transfer_in_date(actor: User, person: Professional, day: date | None) -> Professional:
    """调入日期 (the bureau's entry): from it the province's rules apply to the person."""
    if actor.role is not Role.BUREAU_OFFICER:
        raise Refusal("只有人社局经办人可以登记调入日期。", FORBIDDEN)
    before = person.transfer_in_date
    person.transfer_in_date = day
    db.session.flush()
    after = f"{day:%Y-%m-%d}" if day else "（无）"
    was = f"{before:%Y-%m-%d}" if before else "（无）"
    record("person.transfer_in", person, user=actor, detail=f"{was} → {after}")
    return person


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def set_phone(actor: User, person: Professional, phone: str) -> Professional:
    """The person corrects their own phone number (name and ID number go through the bureau)."""
    if person.user_id != actor.id:
        raise not_found()
    phone = (phone or "").strip()
    if not _MOBILE.match(phone):
        raise Refusal("请输入11位手机号码。", INVALID, field="phone")
    person.phone = phone
    db.session.flush()
    record("person.phone", person, user=actor, detail="修改联系电话")
    return person


# --- employer changes ---------------------------------------------------------------------


def pending_move(person: Professional) -> MoveRequest | None:
    """The person's open employer change: waiting for confirmation, or for its date."""
    return db.session.scalar(
        sa.select(MoveRequest).where(
            MoveRequest.professional_id == person.id,
            MoveRequest.status.in_((MoveStatus.PENDING, MoveStatus.SCHEDULED)),
        )
    )


def _unit_side(unit: Unit | None, county: str) -> list[User]:
    """Who speaks for a unit in a move: its reviewers; the bureau of its county for non-public
    employers, and of the person's county for freelance."""
    if unit is None or unit.reviewed_by_bureau:
        return bureau_officers(county=unit.jurisdiction_code if unit is not None else county)
    return unit_reviewers(unit.id)


def _tell(
    move_request: MoveRequest,
    kind: str,
    text: str,
    *,
    besides: User | None = None,
    county: str | None = None,
) -> None:
    """Both sides of a move hear of it: the person (on the profile page), the old and the new
    unit (on the moves page); not the one who acted. `county`: the person's before the move."""
    _tell_sides(move_request.professional, move_request.from_unit, move_request.unit, kind,
                text, besides, county)  # fmt: skip


def _tell_sides(
    person, from_unit, unit, kind: str, text: str, besides: User | None, county=None
) -> None:
    skip = besides.id if besides is not None else None
    county = county or person.jurisdiction_code
    with scope.unscoped():  # the other side may be another county's unit or bureau
        notify([u for u in [person.user] if u is not None and u.id != skip], kind, text,
               "profile.show")  # fmt: skip
        staff = _unit_side(from_unit, county) + _unit_side(unit, county)
        notify([u for u in staff if u.id != skip], kind, text, "people.moves")


def import_move(actor: User | None, person: Professional, unit: Unit | None, day: date):
    """The bureau's roster puts an existing person at another unit: a move through the
    employment history dated the import day, audited (person.moved) and told to both sides."""
    before, county = person.unit, person.jurisdiction_code
    employment = move(actor, person, unit, day)
    _tell_sides(
        person,
        before,
        unit,
        "person.move_entered",
        f"县人社局导入名单登记了单位变更：{person.name}："
        f"{before.name if before else '自由职业'} → {employment.unit_name}，自{day:%Y-%m-%d}起。",
        actor,
        county,
    )
    return employment


def _move_words(move_request: MoveRequest) -> str:
    return (
        f"{move_request.professional.name}：{move_request.from_unit_name} → "
        f"{move_request.unit_name}，自{move_request.started_on:%Y-%m-%d}起"
    )


def request_move(
    actor: User, person: Professional, unit: Unit | None, started_on: date
) -> MoveRequest:
    """Ask for an employer change: the person (online), the new unit's reviewer or the
    bureau. It waits for the other side (see `can_confirm_move`); entered by the one who
    confirms it (the bureau, for non-public employers and freelance) it is confirmed at once.
    Both sides are told."""
    own = actor.role is Role.PROFESSIONAL and person.user_id == actor.id
    new_unit = actor.role is Role.UNIT_REVIEWER and unit is not None and actor.unit_id == unit.id
    bureau = actor.role is Role.BUREAU_OFFICER and actor.jurisdiction_code in (
        person.jurisdiction_code,
        unit.jurisdiction_code if unit is not None else person.jurisdiction_code,
    )  # the person's county's or the new unit's
    if not (own or new_unit or bureau):
        raise not_found()
    if person.status is not PersonStatus.CONFIRMED:
        raise Refusal("该人员信息尚未确认，不能办理单位变更。", CONFLICT)
    if unit is not None and not unit.active:
        raise Refusal("该单位已停用，请选择其他单位。", INVALID, field="unit")
    if (unit.id if unit else None) == person.unit_id:
        raise Refusal("该人员已在此单位任职，无需变更。", INVALID, field="unit")
    current = open_employment(person)
    if current is not None and started_on <= current.started_on:
        raise Refusal(
            f"调动日期须晚于当前单位的开始日期（{current.started_on:%Y-%m-%d}）。",
            INVALID,
            field="started_on",
        )
    if pending_move(person) is not None:
        raise Refusal("已有一项未办结的单位变更，请等待其确认或生效后再申请。", CONFLICT)
    move_request = MoveRequest(
        professional=person,
        from_unit=person.unit,
        unit=unit,
        started_on=started_on,
        requested_by=actor,
    )
    db.session.add(move_request)
    db.session.flush()
    record(
        "person.move_requested",
        move_request,
        user=actor,
        detail=f"自{started_on:%Y-%m-%d}起",
    )
    if can_confirm_move(actor, move_request):  # the bureau entering a move it confirms
        confirm_move(actor, move_request, entered=True)
    else:
        _tell(
            move_request,
            "person.move_requested",
            f"单位变更待确认：{_move_words(move_request)}（{actor.name}申请）。",
            besides=actor,
        )
    return move_request


def _moves() -> sa.Select:
    """Move requests with both units and the person, whichever county each is in: a move
    between counties names both sides (the rows a user gets are those it confirms)."""
    return (
        sa.select(MoveRequest)
        .options(
            joinedload(MoveRequest.professional).joinedload(Professional.user),
            joinedload(MoveRequest.unit),
            joinedload(MoveRequest.from_unit),
            joinedload(MoveRequest.requested_by),
        )
        .execution_options(all_jurisdictions=True)
    )


def moves_to_confirm(user: User) -> list[MoveRequest]:
    """Pending employer changes this user confirms."""
    pending = db.session.scalars(
        _moves()
        .where(MoveRequest.status == MoveStatus.PENDING)
        .order_by(MoveRequest.requested_at, MoveRequest.id)
    )
    return [m for m in pending if can_confirm_move(user, m)]


def get_move(user: User, move_id: int) -> MoveRequest:
    move_request = db.session.scalar(_moves().where(MoveRequest.id == move_id))
    if move_request is None or not can_confirm_move(user, move_request):
        raise not_found()
    return move_request


def _check_pending(move_request: MoveRequest) -> None:
    if move_request.status is not MoveStatus.PENDING:
        raise Refusal(f"该单位变更当前状态为“{move_request.status.label}”，不能再处理。", CONFLICT)


def confirm_move(actor: User, move_request: MoveRequest, *, entered: bool = False) -> MoveRequest:
    """The other side (or the bureau) confirms: the person moves on the requested date; a
    date still to come waits as 待生效 (`apply_due_moves` makes it on the day). Both sides are
    told (`entered`: the move was entered and confirmed at once by the bureau)."""
    if not can_confirm_move(actor, move_request):
        raise not_found()
    _check_pending(move_request)
    person = move_request.professional
    if person.unit_id != move_request.from_unit_id:
        raise Refusal("该人员的工作单位已发生变化，请重新申请。", CONFLICT)
    move_request.decided_by = actor
    move_request.decided_at = utcnow()
    county = person.jurisdiction_code  # before a move to another county hands the record on
    if move_request.started_on > local_today():
        move_request.status = MoveStatus.SCHEDULED
        db.session.flush()
        record(
            "person.move_scheduled",
            move_request,
            user=actor,
            detail=f"待生效，自{move_request.started_on:%Y-%m-%d}起",
        )
    else:
        move(actor, person, move_request.unit, move_request.started_on)
        move_request.status = MoveStatus.CONFIRMED
        db.session.flush()
    what = f"{actor.name}登记了单位变更" if entered else f"单位变更已确认（{actor.name}）"
    _tell(
        move_request,
        "person.move_entered" if entered else "person.move_confirmed",
        f"{what}：{_move_words(move_request)}"
        + ("，到期生效（待生效）。" if move_request.status is MoveStatus.SCHEDULED else "。"),
        besides=actor,
        county=county,
    )
    return move_request


def apply_due_moves(today: date | None = None) -> int:
    """Confirmed moves whose date has come take effect (the daily schedule; the command
    line). Returns how many people moved."""
    today = today or local_today()
    due = db.session.scalars(
        sa.select(MoveRequest)
        .where(MoveRequest.status == MoveStatus.SCHEDULED, MoveRequest.started_on <= today)
        .order_by(MoveRequest.started_on, MoveRequest.id)
    ).all()
    for move_request in due:
        move(
            move_request.decided_by,
            move_request.professional,
            move_request.unit,
            move_request.started_on,
        )
        move_request.status = MoveStatus.CONFIRMED
    db.session.flush()
    return len(due)


def refuse_move(actor: User, move_request: MoveRequest, reason: str) -> MoveRequest:
    if not can_confirm_move(actor, move_request):
        raise not_found()
    _check_pending(move_request)
    if not (reason or "").strip():
        raise Refusal("请填写不予确认的理由。", INVALID, field="reason")
    move_request.status = MoveStatus.REFUSED
    move_request.decided_by = actor
    move_request.decided_at = utcnow()
    move_request.note = reason.strip()[:200]
    db.session.flush()
    record("person.move_refused", move_request, user=actor, detail=move_request.note)
    _tell(
        move_request,
        "person.move_refused",
        f"单位变更未予确认（{actor.name}）：{_move_words(move_request)}。理由：{move_request.note}",
        besides=actor,
    )
    return move_request


# --- transition mark (新人新办法、老人老办法, seed 003) --------------------------------------------

TRANSITION_CUTOFF = date(
    2025, 6, 12
)  # seed 003 takes effect: titles obtained before keep old rules


def _bureau_only(actor: User, what: str) -> None:
    if actor.role is not Role.BUREAU_OFFICER:
        raise Refusal(f"只有人社局经办人可以{what}。", FORBIDDEN)


def set_keeps_old_rules(actor: User, person: Professional, value: bool) -> Professional:
    """Mark (or unmark) the person as 老人老办法: may elect the old rule set in the transition."""
    _bureau_only(actor, "设置新老办法标记")
    if person.keeps_old_rules != value:
        person.keeps_old_rules = value
        db.session.flush()
        record(
            "person.transition_mark",
            person,
            user=actor,
            detail="老人老办法" if value else "新人新办法",
        )
    return person


def mark_old_rules_by_title(actor: User | None, before: date = TRANSITION_CUTOFF) -> dict:
    """The bulk rule: everyone holding a title obtained before `before` keeps the old rules.
    Marks only (never unmarks); people whose titles have no date are counted, not decided.
    actor None: the command line (run by whoever runs the server)."""
    if actor is not None:
        _bureau_only(actor, "批量设置新老办法标记")
    dated = sa.select(PersonTitle.professional_id).where(PersonTitle.obtained < before)
    people = db.session.scalars(
        sa.select(Professional).where(
            Professional.id.in_(dated), Professional.keeps_old_rules.is_(False)
        )
    ).all()
    for person in people:
        person.keeps_old_rules = True
    undated = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(PersonTitle.professional_id))).where(
            PersonTitle.obtained.is_(None),
            PersonTitle.professional_id.not_in(dated),
        )
    )
    db.session.flush()
    result = {"marked": len(people), "undated": int(undated or 0), "before": before.isoformat()}
    record(
        "person.transition_bulk",
        user=actor,
        detail=f"职称取得于{before:%Y-%m-%d}前：新标记{len(people)}人；职称无取得时间{result['undated']}人未处理",
    )
    return result


def title_in_year(year: int) -> sa.Subquery:
    """Per person, the title valid in `year` (professional_id, series_id, level, authority_id):
    the latest obtained by 31 December, then the last entered; an undated title last."""
    ranked = (
        sa.select(
            PersonTitle.professional_id,
            PersonTitle.series_id,
            PersonTitle.level,
            sa.func.row_number()
            .over(
                partition_by=PersonTitle.professional_id,
                order_by=(
                    PersonTitle.obtained.is_(None),
                    PersonTitle.obtained.desc(),
                    PersonTitle.id.desc(),
                ),
            )
            .label("rank"),
        )
        .where(sa.or_(PersonTitle.obtained.is_(None), PersonTitle.obtained <= date(year, 12, 31)))
        .subquery()
    )
    return (
        sa.select(
            ranked.c.professional_id,
            ranked.c.series_id,
            ranked.c.level,
            TitleSeries.authority_id,
        )
        .join(TitleSeries, TitleSeries.id == ranked.c.series_id)
        .where(ranked.c.rank == 1)
        .subquery("title_in_year")
    )
