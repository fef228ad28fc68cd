"""Account activation that cannot be hijacked: an imported person (no account yet, or only an
unconfirmed self-registration, which the activation replaces) activates with a one-time code
their unit or the bureau hands out. The code is shown once, stored only as
a keyed hash, used once, and expires; a wrong ID number or code gets one answer, whichever was
wrong, and failures count towards the address throttle of the login. Operations flush, never
commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from portal.accounts import registrations, service
from portal.accounts.idnumbers import clean_id_number
from portal.accounts.models import ActivationCode, PersonStatus, Professional, Role, User
from portal.accounts.permissions import can_review
from portal.audit.service import record
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import CONFLICT, INVALID, TOO_MANY, Refusal, not_found
from portal.settings import get_setting

VALID_DAYS = 30
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
LENGTH = 12
WRONG = "身份证号码或激活码不正确，或激活码已使用、已过期。请核对后重试，或向单位索取新的激活码。"


def _hash(code: str) -> str:
    secret = current_app.secret_key.encode() if current_app.secret_key else b""
    normal = code.replace("-", "").replace(" ", "").upper()
    return hmac.new(secret, b"activation:" + normal.encode(), hashlib.sha256).hexdigest()


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def open_to_activation(person: Professional) -> bool:
    """No account yet, or only an unconfirmed self-registration (which a code replaces: knowing
    an ID number and a name must not let a stranger keep someone's record)."""
    return person.user_id is None or person.status is not PersonStatus.CONFIRMED


def may_issue(user: User, person: Professional) -> bool:
    """The person's unit (its reviewer) or the bureau."""
    return user.role is Role.BUREAU_OFFICER or can_review(user, person)


def issue(actor: User, person: Professional, now: datetime | None = None) -> str:
    """A new code for the person (earlier unused ones stop working); the plain code is returned
    once and never stored."""
    now = now or utcnow()
    if not may_issue(actor, person):
        raise not_found()
    if not open_to_activation(person):
        raise Refusal("该人员已开通账号，无需激活码。", CONFLICT)
    for old in db.session.scalars(
        sa.select(ActivationCode).where(
            ActivationCode.professional_id == person.id, ActivationCode.used_at.is_(None)
        )
    ):
        old.expires_at = min(old.expires_at, now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    row = ActivationCode(
        professional=person,
        code_hash=_hash(code),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=VALID_DAYS),
    )
    db.session.add(row)
    db.session.flush()
    record("account.activation_issued", row, user=actor, detail=f"有效期{VALID_DAYS}天")
    return display(code)


def activate(
    id_number: str, code: str, password: str, ip: str, now: datetime | None = None
) -> User:
    """Open the account of the person the code was issued for; one answer for every mismatch."""
    now = now or utcnow()
    window = timedelta(minutes=get_setting("LOGIN_LOCK_MINUTES"))
    if service._throttled_until(ip, now, window) is not None:
        raise Refusal("此网络地址尝试次数过多，请稍后再试。", TOO_MANY)
    try:
        id_number = clean_id_number(id_number)
    except ValueError as error:
        raise Refusal(str(error), INVALID, field="id_number") from error
    person = db.session.scalar(sa.select(Professional).filter_by(id_number=id_number))
    candidates = []
    if person is not None and open_to_activation(person):
        candidates = db.session.scalars(
            sa.select(ActivationCode).where(
                ActivationCode.professional_id == person.id,
                ActivationCode.used_at.is_(None),
                ActivationCode.expires_at > now,
            )
        ).all()
    digest = _hash(code or "")
    match = next((c for c in candidates if hmac.compare_digest(c.code_hash, digest)), None)
    if match is None:
        key = service._username_key(id_number)
        service._attempt(ip, id_number, key, "failure", now)
        record("account.activate", outcome="failure", username=id_number, detail="激活码不符")
        raise Refusal(WRONG, INVALID, field="code", action=None)
    problems = service.password_problems(password or "", id_number=id_number)
    if problems:
        raise Refusal("；".join(problems), INVALID, field="password")
    match.used_at = now
    replaced = person.user
    if replaced is not None:
        registrations.close_account(replaced)  # frees the ID number
        person.user_id = None
        db.session.flush()
    superseded = registrations.supersede(person, now)  # a stranger's waiting request
    user = User(
        username=id_number,
        password_hash=service.hash_password(password),
        role=Role.PROFESSIONAL,
        name=person.name,
        phone=person.phone,
        password_changed_at=now,
        last_login_at=now,
    )
    db.session.add(user)
    db.session.flush()
    person.user_id = user.id
    # The code is the unit's (or the bureau's) word that this is the person.
    person.status = PersonStatus.CONFIRMED
    person.confirmed_by_id = match.created_by_id
    person.confirmed_at = now
    db.session.flush()
    detail = "凭激活码开通账号" + ("，停用未经确认的自行注册账号" if replaced or superseded else "")
    record("account.activate", person, user=user, detail=detail)
    return user
