"""Self-registrations held as requests (issue 22.7): a registration with the ID number and name
of a person the register already holds changes nothing of that person's record. What was typed
waits in a RegistrationRequest; the account it made sees nothing of the record; the person's
unit (or the bureau) says whether it is the person. Confirmed, the account is linked and the
typed phone taken; refused, the account is closed and the ID number freed, the record exactly as
it was; an activation code the unit hands the real person supersedes it. Operations flush, never
commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import (
    PersonStatus,
    Professional,
    RegistrationRequest,
    RegistrationStatus,
    User,
)
from portal.accounts.permissions import can_review, reviewable_people, reviewers_of
from portal.audit.service import record
from portal.extensions import db
from portal.models_base import utcnow
from portal.notifications.service import notify
from portal.refusal import CONFLICT, INVALID, Refusal, not_found

# What the unit's 人员确认 row says of a request.
CHECK_NOTE = "该人员已由单位登记，请核实是否本人，或改发激活码"


def hold(user: User, person: Professional, typed: dict, now: datetime) -> RegistrationRequest:
    """Keep what a self-registration typed for an existing person, and tell the person's
    reviewers (the record is theirs to confirm)."""
    request = RegistrationRequest(professional=person, user=user, created_at=now, **typed)
    db.session.add(request)
    db.session.flush()
    notify(
        reviewers_of(person),
        "registration.pending",
        f"有人以{person.name}的身份证号码和姓名自行注册，请核实是否本人，或改发激活码。",
        "review.people",
    )
    return request


def pending_request_of(user: User) -> RegistrationRequest | None:
    """The waiting request this account made, if any (its holder sees only this)."""
    return db.session.scalar(
        sa.select(RegistrationRequest).where(
            RegistrationRequest.user_id == user.id,
            RegistrationRequest.status == RegistrationStatus.PENDING,
        )
    )


def pending_requests(user: User) -> list[RegistrationRequest]:
    """Waiting requests on the records this reviewer confirms, oldest first."""
    people = reviewable_people(user).with_only_columns(Professional.id)
    return list(
        db.session.scalars(
            sa.select(RegistrationRequest)
            .where(
                RegistrationRequest.status == RegistrationStatus.PENDING,
                RegistrationRequest.professional_id.in_(people),
            )
            .order_by(RegistrationRequest.created_at, RegistrationRequest.id)
        )
    )


def get_request(user: User, request_id: int) -> RegistrationRequest:
    request = db.session.get(RegistrationRequest, request_id)
    if request is None or not can_review(user, request.professional):
        raise not_found()
    return request


def _decide(actor: User, request: RegistrationRequest, status: RegistrationStatus, note=""):
    if request.status is not RegistrationStatus.PENDING:
        raise Refusal(f"该注册申请当前状态为“{request.status.label}”，不能再处理。", CONFLICT)
    request.status = status
    request.decided_by = actor
    request.decided_at = utcnow()
    request.note = note[:200]


def confirm(actor: User, request: RegistrationRequest) -> Professional:
    """It is the person: the account is linked to the record and the typed phone taken; the
    unit, titles and years stay as the record holds them."""
    if not can_review(actor, request.professional):
        raise not_found()
    person = request.professional
    if person.user_id is not None:
        raise Refusal("该人员已开通账号，请不予确认此注册申请。", CONFLICT)
    _decide(actor, request, RegistrationStatus.CONFIRMED)
    person.user_id = request.user_id
    if request.phone:
        person.phone = request.phone
    if person.status is not PersonStatus.CONFIRMED:
        person.status = PersonStatus.CONFIRMED
        person.confirmed_by_id = actor.id
        person.confirmed_at = request.decided_at
    db.session.flush()
    record("account.registration_confirmed", request, user=actor, detail="核实为本人，关联账号")
    notify(
        [request.user],
        "person.confirmed",
        "您的注册已经单位核实为本人，可以查看本人学时记录并申报年度学时。",
        "declarations.index",
    )
    return person


def close_account(user: User) -> None:
    """Disable an account that never became the person's, and free the ID number it held."""
    user.active = False
    user.rotate_session()
    user.username = f"{user.username}#{user.id}"[:64]
    db.session.flush()


def refuse(actor: User, request: RegistrationRequest, reason: str) -> RegistrationRequest:
    """Not the person: the account closes, the ID number is free, the record is untouched."""
    if not can_review(actor, request.professional):
        raise not_found()
    if not (reason or "").strip():
        raise Refusal("请填写不予确认的理由。", INVALID, field="reason")
    _decide(actor, request, RegistrationStatus.REFUSED, reason.strip())
    close_account(request.user)
    record("account.registration_refused", request, user=actor, detail=request.note)
    return request


def supersede(person: Professional, now: datetime) -> int:
    """The person activated with a code: every waiting stranger's request ends, its account
    closed. Returns how many."""
    waiting = db.session.scalars(
        sa.select(RegistrationRequest).where(
            RegistrationRequest.professional_id == person.id,
            RegistrationRequest.status == RegistrationStatus.PENDING,
        )
    ).all()
    for request in waiting:
        request.status = RegistrationStatus.SUPERSEDED
        request.decided_at = now
        close_account(request.user)
    return len(waiting)
