"""Account operations: password policy, login with lockout and address throttling, password
change, self-registration. Services flush, never commit."""

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts import people, registrations
from portal.accounts.idnumbers import birth_date
from portal.accounts.models import LoginAttempt, PersonStatus, Professional, Role, User
from portal.audit.service import record, record_denied, redact
from portal.clock import LOCAL_TZ, local_time
from portal.extensions import db
from portal.models_base import utcnow
from portal.notifications import service as notifications
from portal.refusal import TOO_MANY, Refusal
from portal.settings import get_setting
from portal.settings import service as settings
from portal.units.models import Unit


@functools.lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A hash to check against when the account does not exist, so that both paths cost the
    same: made with the method new passwords get."""
    return generate_password_hash("not-a-password", method=method)


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"


PASSWORD_CLASSES = (
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("符号", re.compile(r"[^A-Za-z0-9]")),
)
COUNTED = ("failure", "lockout")  # attempts that count towards a lock or the address throttle


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_hash_method())


def password_problems(password: str, *, username: str = "", id_number: str = "") -> list[str]:
    """Chinese reasons why a password does not meet the policy; empty when it does."""
    min_length = get_setting("PASSWORD_MIN_LENGTH")
    min_classes = get_setting("PASSWORD_MIN_CLASSES")
    problems = []
    if len(password) < min_length:
        problems.append(f"密码至少需要{min_length}位")
    classes = sum(1 for _, pattern in PASSWORD_CLASSES if pattern.search(password))
    if classes < min_classes:
        problems.append(f"密码需包含大写字母、小写字母、数字、符号中的至少{min_classes}类")
    lowered = password.lower()
    for value in (username, id_number):
        if value and len(value) >= 4 and value.lower() in lowered:
            problems.append("密码不能包含账号或身份证号码")
            break
    return problems


def policy_text() -> str:
    return (
        f"至少{get_setting('PASSWORD_MIN_LENGTH')}位，包含大写字母、小写字母、数字、符号中的"
        f"至少{get_setting('PASSWORD_MIN_CLASSES')}类，不能包含账号或身份证号码"
    )


# --- login -------------------------------------------------------------------------------


@dataclass
class LoginResult:
    user: User | None = None
    error: str = ""
    status: int = 200  # 422 wrong credentials, 423 account locked, 429 address throttled
    field_error: bool = False  # show beside the password rather than above the form


def find_user(username: str) -> User | None:
    username = username.strip()
    user = db.session.scalar(sa.select(User).filter_by(username=username.upper()))
    if user is None:
        user = db.session.scalar(sa.select(User).filter_by(username=username))
    return user


def _username_key(username: str) -> str:
    secret = current_app.secret_key.encode() if current_app.secret_key else b""
    digest = hmac.new(secret, username.strip().upper().encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _until_text(until: datetime, now: datetime) -> str:
    fmt = "%H:%M" if local_time(until, "%Y%m%d") == local_time(now, "%Y%m%d") else "%m月%d日 %H:%M"
    return local_time(until, fmt)


def _attempt(ip: str, username: str, key: str, outcome: str, now: datetime) -> None:
    db.session.add(
        LoginAttempt(
            at=now,
            ip=ip,
            username=redact(username)[:64],
            username_key=key,
            success=outcome == "success",
            outcome=outcome,
        )
    )


def _throttled_until(ip: str, now: datetime, window: timedelta) -> datetime | None:
    """When the address is over its failure limit: the time its oldest counted failure expires."""
    limit = get_setting("LOGIN_MAX_FAILURES_PER_ADDRESS")
    failures = sa.select(LoginAttempt.at).where(
        LoginAttempt.ip == ip, LoginAttempt.outcome.in_(COUNTED), LoginAttempt.at > now - window
    )
    times = db.session.scalars(failures.order_by(LoginAttempt.at.desc()).limit(limit)).all()
    if len(times) < limit:
        return None
    return times[-1] + window


def address_throttled(ip: str, now: datetime | None = None) -> datetime | None:
    """Until when the address may not log in (or use an API key): its failures, of logins and
    of wrong keys together, are over LOGIN_MAX_FAILURES_PER_ADDRESS; None when it may."""
    now = now or utcnow()
    return _throttled_until(ip, now, timedelta(minutes=get_setting("LOGIN_LOCK_MINUTES")))


API_KEY_NAME = "接口密钥"  # what a wrong key's attempt is recorded under


def count_key_failure(ip: str, now: datetime | None = None) -> None:
    """A wrong or revoked API key: one failed attempt of the address, as a failed login is."""
    _attempt(ip, API_KEY_NAME, _username_key("#api-key"), "failure", now or utcnow())


def _unknown_name_state(key: str, now: datetime, window: timedelta) -> tuple[datetime | None, int]:
    """(locked until, failures so far) for a name without an account, from the attempts."""
    last_lock = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.username_key == key, LoginAttempt.outcome == "lockout"
        )
    )
    if last_lock is not None and last_lock + window > now:
        return last_lock + window, 0
    query = sa.select(sa.func.count()).where(
        LoginAttempt.username_key == key, LoginAttempt.outcome.in_(COUNTED)
    )
    if last_lock is not None:
        query = query.where(LoginAttempt.at > last_lock + window)
    return None, db.session.scalar(query)


def login(username: str, password: str, ip: str, now: datetime | None = None) -> LoginResult:
    """Check a login; record the attempt and the audit event either way.

    An address over its failure limit is refused before any password is checked, so its
    attempts never count towards locking the accounts it tries.
    """
    now = now or utcnow()
    window = timedelta(minutes=get_setting("LOGIN_LOCK_MINUTES"))
    max_failures = get_setting("LOGIN_MAX_FAILURES")
    key = _username_key(username)

    throttled = _throttled_until(ip, now, window)
    if throttled is not None:
        _attempt(ip, username, key, "throttled", now)
        record_denied(
            "auth.throttle",
            f"地址 {ip} 登录失败次数超过限制，暂停登录至 {local_time(throttled)}",
            username=username[:64],
            now=now,
            commit=False,
        )
        return LoginResult(
            error=f"此网络地址登录失败次数过多，请于 {_until_text(throttled, now)} 后再试。",
            status=429,
        )

    user = find_user(username)
    if user is not None:
        if user.locked_until is not None and user.locked_until <= now:
            user.locked_until, user.failed_logins = None, 0
        locked_until = user.locked_until
    else:
        check_password_hash(_dummy_hash(_hash_method()), password)
        locked_until, failures = _unknown_name_state(key, now, window)
    if locked_until is not None:
        _attempt(ip, username, key, "refused", now)
        record_denied(
            "auth.login",
            "账号锁定中",
            obj=user,
            user=user,
            username=username[:64],
            now=now,
            commit=False,
        )
        return _locked(locked_until, now)

    if user is not None and check_password_hash(user.password_hash, password):
        if not user.active:
            _attempt(ip, username, key, "disabled", now)
            record(
                "auth.login",
                user,
                outcome="failure",
                user=user,
                detail="账号已停用",
            )
            return LoginResult(error="该账号已停用，请联系管理员。", status=422)
        user.failed_logins = 0
        user.last_login_at = now
        _attempt(ip, username, key, "success", now)
        record("auth.login", user, user=user)
        return LoginResult(user=user)

    if user is not None:
        user.failed_logins += 1
        failures = user.failed_logins
    else:
        failures += 1
    if failures >= max_failures:
        until = now + window
        if user is not None:
            user.locked_until = until
        _record_failure("auth.lockout", "lockout", ip, username, key, user, now,
                        f"连续失败 {failures} 次，锁定至 {local_time(until)}")  # fmt: skip
        return _locked(until, now)
    _record_failure("auth.login", "failure", ip, username, key, user, now, f"第 {failures} 次失败")
    message = "账号或密码不正确"
    remaining = max_failures - failures
    if remaining <= 2:
        message += f"，再失败 {remaining} 次将锁定 {get_setting('LOGIN_LOCK_MINUTES')} 分钟"
    return LoginResult(error=message, status=422, field_error=True)


def login_read_only(
    username: str, password: str, ip: str, now: datetime | None = None
) -> LoginResult:
    """The login's answer when nothing can be recorded (disk full, read-only instance): the same
    checks on what is stored (address throttle, lock, password, active), no attempt counted, no
    last-login time; the outcome goes to the log since the audit table cannot take it."""
    now = now or utcnow()
    window = timedelta(minutes=get_setting("LOGIN_LOCK_MINUTES"))
    throttled = _throttled_until(ip, now, window)
    if throttled is not None:
        return LoginResult(
            error=f"此网络地址登录失败次数过多，请于 {_until_text(throttled, now)} 后再试。",
            status=429,
        )
    user = find_user(username)
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password)
        locked_until = _unknown_name_state(_username_key(username), now, window)[0]
    else:
        locked_until = user.locked_until if user.locked_until and user.locked_until > now else None
    if locked_until is not None:
        return _locked(locked_until, now)
    ok = user is not None and check_password_hash(user.password_hash, password)
    current_app.logger.warning(
        "login not recorded (storage cannot be written): %s from %s: %s",
        redact(username)[:64], ip, "success" if ok and user.active else "failure",
    )  # fmt: skip
    if not ok:
        return LoginResult(error="账号或密码不正确", status=422, field_error=True)
    if not user.active:
        return LoginResult(error="该账号已停用，请联系管理员。", status=422)
    return LoginResult(user=user)


def _locked(until: datetime, now: datetime) -> LoginResult:
    return LoginResult(
        error=f"登录失败次数过多，账号已锁定，请于 {_until_text(until, now)} 后再试，"
        "或联系管理员解锁。",
        status=423,
    )


# --- own password ------------------------------------------------------------------------

# What a holder of an admin-typed password may open before replacing it.
OPEN_BEFORE_CHANGE = {"accounts.password", "accounts.logout", "static", "main.favicon"}


@functools.cache
def _account_statement(dialect: str) -> sa.Select:
    """load_account's statement, built once per database kind: a unit's account comes with
    its unit (the pages of a unit's reviewer name it)."""
    return (
        sa.select(
            User,
            notifications.unread_of(User.id),
            settings.saved_rows(dialect),
        )
        .where(User.id == sa.bindparam("user_id"))
        .options(joinedload(User.unit))
    )


def load_account(user_id: int, token: str) -> User | None:
    """The account a session cookie names (its id and token), if active and the token still
    matches (a cookie replayed after logout or after the account is disabled no longer does).
    The statement brings along what every logged-in page reads next: the saved settings and
    the bell's unread count: one round trip instead of three."""
    statement = _account_statement(db.engine.dialect.name)
    row = db.session.execute(statement, {"user_id": user_id}).first()
    if row is None:
        return None
    user, unread, saved = row
    settings.keep(saved or [])
    if not user.active or user.session_token != token:
        return None
    notifications.keep_count(user.id, unread)
    return user


def needs_password_change(user, endpoint: str | None) -> bool:
    """An admin-typed password (new staff account, reset) is replaced before any other page."""
    return (
        user.is_authenticated
        and bool(user.must_change_password)
        and endpoint not in OPEN_BEFORE_CHANGE
    )


def change_password(
    user: User, old_password: str, new_password: str, now: datetime | None = None
) -> bool:
    """Set a new password and rotate the session token: every other session ends.

    False (and an audited failure) when the old password is wrong.
    """
    if not check_password_hash(user.password_hash, old_password):
        record(
            "auth.password_change",
            user,
            outcome="failure",
            user=user,
            detail="原密码不正确",
        )
        return False
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now or utcnow()
    user.must_change_password = False
    user.rotate_session()
    record("auth.password_change", user, user=user)
    db.session.flush()
    return True


# --- self-registration -------------------------------------------------------------------


@dataclass
class Registration:
    id_number: str
    name: str
    phone: str
    unit_id: int | None
    title_series: str
    title_level: str
    title_name: str
    password: str
    works_since: date | None = None  # 何时起在该单位工作; None: the registration day


REGISTRATIONS_PER_ADDRESS = 10  # per LOGIN_LOCK_MINUTES window


def register(data: Registration, ip: str = "", now: datetime | None = None) -> User | None:
    """Create the professional's account (waiting for confirmation). With the ID number and
    name of a person already in the register, the account is not linked: what was typed waits
    as a request for the person's unit (registrations.hold). None when nothing was created (the number already has an
    account, or the name differs from the imported record): the caller answers exactly as for
    a success, so that /register never tells whether an ID number is known. Throttled per
    address."""
    now = now or utcnow()
    window = timedelta(minutes=get_setting("LOGIN_LOCK_MINUTES"))
    recent = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.ip == ip,
            LoginAttempt.outcome == "register",
            LoginAttempt.at > now - window,
        )
    )
    if recent >= REGISTRATIONS_PER_ADDRESS:
        raise Refusal("此网络地址注册次数过多，请稍后再试。", TOO_MANY)
    _attempt(ip, data.id_number, _username_key(data.id_number), "register", now)
    taken = db.session.scalar(sa.select(User.id).filter_by(username=data.id_number)) is not None
    person = db.session.scalar(sa.select(Professional).filter_by(id_number=data.id_number))
    if taken or (person is not None and (person.user_id is not None or person.name != data.name)):
        hash_password(data.password)  # as slow as a real registration
        record(
            "account.register",
            person,
            outcome="failure",
            username=data.id_number,
            detail="身份证号码已开通账号" if taken or person.user_id else "姓名与已登记信息不符",
        )
        return None
    user = User(
        username=data.id_number,
        password_hash=hash_password(data.password),
        role=Role.PROFESSIONAL,
        name=data.name,
        phone=data.phone,
        password_changed_at=now,
        last_login_at=now,
    )
    db.session.add(user)
    db.session.flush()
    works_since = data.works_since or now.astimezone(LOCAL_TZ).date()
    if person is not None:
        # Knowing someone's ID number and name proves nothing: what was typed waits for the
        # person's unit (or the bureau), and the record stays exactly as it is until then; an
        # activation code is the way in without waiting.
        request = registrations.hold(
            user,
            person,
            {
                "phone": data.phone,
                "unit_id": data.unit_id,
                "works_since": works_since,
                "title_series": data.title_series,
                "title_level": data.title_level,
                "title_name": data.title_name,
            },
            now,
        )
        record(
            "account.register", request, user=user, detail="与已登记人员相同，待单位核实是否本人"
        )
        return user
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    person = Professional(
        id_number=data.id_number,
        name=data.name,
        # the unit's county; a freelancer's: the registration page's (scope.home_county)
        jurisdiction_code=unit.jurisdiction_code if unit is not None else None,
        status=PersonStatus.PENDING,
        birth_date=birth_date(data.id_number),
        phone=data.phone,
        title_series=data.title_series,
        title_level=data.title_level,
        title_name=data.title_name,
        user=user,
    )
    db.session.add(person)
    db.session.flush()
    people.move(user, person, unit, works_since)
    record("account.register", person, user=user, detail=f"新登记人员，状态：{person.status.label}")
    return user


def registration_note(unit_id: int | None) -> str:
    """The one answer to a registration, whatever became of it: it depends only on the form."""
    unit = db.session.get(Unit, unit_id) if unit_id else None
    who = "县人社局" if unit is None or unit.reviewed_by_bureau else f"“{unit.name}”"
    return (
        "注册申请已提交，请用身份证号码和所设密码登录。您的人员信息需经"
        f"{who}确认后，所申报的学时才能进入核验。"
        "如该身份证号码此前已开通账号，请用原密码登录，或请单位生成激活码、重置密码。"
    )


def _record_failure(action, outcome, ip, username, key, user, now, detail) -> None:
    """A failed attempt: kept for the throttle and in the audit log, even though the page
    answers with an error status."""
    _attempt(ip, username, key, outcome, now)
    record(
        action,
        user,
        outcome="failure",
        user=user,
        username=username[:64],
        detail=detail,
    )
