"""Writing the audit log. Every state change and every export calls record(); refused access
(403, 404 on an object, CSRF, throttles) calls record_denied(), which keeps a flood out."""

import calendar
import logging
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from portal.audit import chain
from portal.audit.actions import ACTIONS, OUTCOMES, object_label
from portal.audit.models import AuditEvent, AuditRefusalWindow
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import INVALID, Refusal

log = logging.getLogger(__name__)
MIN_RETENTION_MONTHS = 6  # 《网络安全法》第二十一条：网络日志留存不少于六个月

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")


def redact(text: str) -> str:
    """Mask anything shaped like a resident ID number: 340102********123X."""
    return _ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(2), text or "")


# The address of the request that started a background job: its audit events carry it, not
# "cli" (the worker has no request of its own).
_behalf_of: ContextVar[str | None] = ContextVar("audit_behalf_of", default=None)


@contextmanager
def on_behalf_of(ip: str | None):
    """Audit what runs inside as coming from `ip` (a job run for a browser request)."""
    token = _behalf_of.set(ip or None)
    try:
        yield
    finally:
        _behalf_of.reset(token)


def client_ip() -> str:
    behalf = _behalf_of.get()
    if behalf:
        return behalf
    if not has_request_context():
        return "cli"
    return request.remote_addr or ""


def object_name(obj) -> str:
    """The object in words, e.g. "王晓梅 2025年度申报": its audit_name, else type label and id."""
    if obj is None:
        return ""
    name = getattr(obj, "audit_name", "") or object_label(
        type(obj).__name__.lower(), str(getattr(obj, "id", "") or "")
    )
    return redact(str(name))[:200]


def _check_declared(action: str, outcome: str) -> None:
    """An undeclared action or outcome is a programming error: loud in tests, logged in service
    (the event is still kept: losing it would be worse than an unlabelled row)."""
    problems = []
    if action not in ACTIONS:
        problems.append(f"undeclared audit action {action!r}")
    if outcome not in OUTCOMES:
        problems.append(f"undeclared audit outcome {outcome!r}")
    if not problems:
        return
    message = "; ".join(problems) + ": declare it in portal/audit/actions.py"
    if current_app.testing or current_app.debug:
        raise ValueError(message)
    current_app.logger.error(message)


def record(
    action: str,
    obj=None,
    *,
    outcome: str = "success",
    detail: str = "",
    user=None,
    username: str | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add one audit event to the session; the request commits it with the change it describes.

    An event that must stand although the request fails (a refused action, a failed login) is
    kept by an explicit commit at the request boundary (record_refusal, the login view).
    action must be declared in portal.audit.actions.ACTIONS, outcome in OUTCOMES.
    """
    _check_declared(action, outcome)
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        at=utcnow(),  # when it happened, not when the session is flushed
        user_id=getattr(user, "id", None),
        username=redact(username if username is not None else getattr(user, "username", "")),
        role=str(getattr(user, "role", "") or ""),
        ip=client_ip() if ip is None else ip,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or "") if obj is not None else "",
        object_name=object_name(obj),
        outcome=outcome,
        detail=redact(detail)[:2000],
    )
    db.session.add(event)
    return event


def record_many(events: list[dict]) -> int:
    """Many events at once, chained in the order given (a bulk load such as the county
    generator's, where one record() each would be slow). Each is a dict of AuditEvent's columns:
    `action` and `at` (when it happened) required; `user_id`, `username`, `role`, `ip`,
    `object_type`, `object_id`, `object_name`, `outcome`, `detail` as record() would fill them.
    Declared actions and outcomes only; names and details masked and cut as record() does. The
    caller commits; returns the number written."""
    rows = []
    for event in events:
        outcome = event.get("outcome") or "success"
        _check_declared(event["action"], outcome)
        rows.append(
            {
                **event,
                "outcome": outcome,
                "role": str(event.get("role") or ""),
                "object_id": str(event.get("object_id") or ""),  # stored as text: hashed so
                "username": redact(event.get("username") or ""),
                "object_name": redact(event.get("object_name") or "")[:200],
                "detail": redact(event.get("detail") or "")[:2000],
            }
        )
    return chain.append(db.session, rows)


# Refused access by HTTP status, when the refusal names no action of its own.
DENIED_ACTIONS = {403: "access.forbidden", 404: "access.not_found", 429: "access.throttled"}


def record_refusal(refusal) -> None:
    """A refused action: whatever it changed is rolled back, and its audit event alone is kept.

    A refusal that names an action is recorded as that action (a 429 one through the flood
    limit of record_denied); a 403, 404 or 429 that names none as refused access."""
    db.session.rollback()
    if refusal.action and refusal.status != 429:
        record(
            refusal.action,
            refusal.obj,
            outcome="refused",
            detail=refusal.message,
            user=refusal.user,
        )
        db.session.commit()
    elif refusal.action or refusal.status in DENIED_ACTIONS:  # after the rollback above
        action = refusal.action or DENIED_ACTIONS[refusal.status]
        record_denied(
            action,
            refusal.message,
            obj=refusal.obj,
            user=refusal.user,
            outcome="refused" if refusal.action else "denied",
        )


def request_line() -> str:
    """The method and route of this request with its numbers, other values masked: a path may
    hold a certificate code or an ID number (/verify/<code>), which the log must not."""
    if not has_request_context():
        return ""
    rule = request.url_rule
    if rule is None:
        return request.method
    values = request.view_args or {}

    def value(match: re.Match) -> str:
        given = values.get(match.group(1))
        return str(given) if isinstance(given, int) else "*"

    return f"{request.method} " + re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", value, rule.rule)


def _subject(user) -> str:
    if user is not None and getattr(user, "id", None) is not None:
        return f"user:{user.id}"
    return f"ip:{client_ip()}"[:80]


def _window_row(subject: str, action: str, now: datetime) -> AuditRefusalWindow:
    """The subject's window row, locked for this transaction (made when missing)."""
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
    db.session.execute(
        insert(AuditRefusalWindow)
        .values(subject=subject, action=action, recorded_at=now, suppressed=-1)
        .on_conflict_do_nothing()
    )
    return db.session.scalars(
        sa.select(AuditRefusalWindow)
        .where(AuditRefusalWindow.subject == subject, AuditRefusalWindow.action == action)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def suppressed_text(count: int) -> str:
    return f"此前另有 {count} 次同类拒绝未逐条记录" if count else ""


def record_denied(
    action: str,
    message: str,
    *,
    obj=None,
    user=None,
    username: str | None = None,
    now: datetime | None = None,
    commit: bool = True,
    outcome: str = "denied",
) -> AuditEvent | None:
    """Refused access (who, address, route, what), committed at once whatever the page answers
    (commit=False: a service whose view commits; error handlers roll the request back first).

    At most one event per subject (the user, else the address) and action in
    AUDIT_REFUSAL_WINDOW_SECONDS; refusals in between are only counted, and the count goes with
    the subject's next event of that action (or the nightly summary, flush_refusal_counts).
    The log never fails the refusal: a database error here is logged and the page still says no.
    """
    now = now or utcnow()
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    window = timedelta(seconds=int(current_app.config["AUDIT_REFUSAL_WINDOW_SECONDS"]))
    try:
        row = _window_row(_subject(user), action, now)
        if row.suppressed >= 0 and row.recorded_at > now - window:
            row.suppressed += 1
            if commit:
                db.session.commit()
            return None
        parts = [request_line(), message, suppressed_text(max(row.suppressed, 0))]
        row.recorded_at, row.suppressed = now, 0
        event = record(
            action,
            obj,
            outcome=outcome,
            user=user,
            username=username,
            detail="；".join(part for part in parts if part),
        )
        if commit:
            db.session.commit()
        return event
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("refused access on %s could not be audited", request_line())
        return None


def flush_refusal_counts(now: datetime | None = None) -> int:
    """The nightly summary: one event per subject and action whose refusals since its last event
    were only counted (the flood stopped, so no next event carries the count). Forgets windows
    idle for a day. Returns the events written; the caller commits."""
    now = now or utcnow()
    window = timedelta(seconds=int(current_app.config["AUDIT_REFUSAL_WINDOW_SECONDS"]))
    rows = db.session.scalars(
        sa.select(AuditRefusalWindow)
        .where(AuditRefusalWindow.suppressed > 0, AuditRefusalWindow.recorded_at <= now - window)
        .order_by(AuditRefusalWindow.subject, AuditRefusalWindow.action)
        .with_for_update()
    ).all()
    for row in rows:
        kind, _, who = row.subject.partition(":")
        action = row.action  # declared when its first event was recorded
        record(
            action,
            outcome="denied",
            user=None,
            username=f"（账号ID {who}）" if kind == "user" else "",
            ip=who if kind == "ip" else "",
            detail=suppressed_text(row.suppressed) + "（自上一条记录起，夜间汇总）",
        )
        row.recorded_at, row.suppressed = now, 0
    db.session.execute(
        sa.delete(AuditRefusalWindow).where(
            AuditRefusalWindow.suppressed <= 0,
            AuditRefusalWindow.recorded_at < now - timedelta(days=1),
        )
    )
    return len(rows)


# --- integrity and retention ----------------------------------------------------------------


def verify(actor=None, *, audited: bool = True) -> "chain.Report":
    """Check the whole chain (see portal.audit.chain.verify); the check itself is audited."""
    report = chain.verify(db.session)
    if audited:
        record(
            "audit.verify",
            outcome="success" if report.intact else "failure",
            user=actor,
            detail=report.summary,
        )
    return report


def purge(months: int, actor=None, now: datetime | None = None, export_dir=None) -> int:
    """purge_with_export's count of deleted events."""
    return purge_with_export(months, actor, now, export_dir)[0]


def purge_with_export(
    months: int, actor=None, now: datetime | None = None, export_dir=None
) -> tuple[int, str | None]:
    """Delete the events older than `months` months and record the purge, naming the new anchor,
    as a chained event (issue 22.9). 0 months keeps everything (the default); otherwise never
    fewer than 6. Events that explain a registered year (from the earliest submission of a year
    still registered on) are never deleted without first being written, whole, to a file in
    `export_dir` (default AUDIT_EXPORT_FOLDER, instance/audit-exports) that the auditor keeps;
    the purge names that file. Returns (deleted, the export file or None); the caller commits."""
    if not months:
        return 0, None
    if months < MIN_RETENTION_MONTHS:
        raise Refusal(f"审计日志保存期限不能少于 {MIN_RETENTION_MONTHS} 个月", INVALID)
    now = now or utcnow()
    cutoff = months_before(now, months)
    explained = oldest_explained_moment()
    exported = None
    if explained is not None and cutoff > explained:
        exported = export_before(cutoff, export_dir)
    deleted, anchor_seq, anchor_hash = chain.purge_prefix(db.session, cutoff)
    anchor = chain.ANCHOR_TEXT.format(seq=anchor_seq, hash=anchor_hash or "（无）")
    kept = f"；删除前已将其中说明已登记年度的记录导出到 {exported}" if exported else ""
    record(
        "audit.purge",  # chain.PURGE_ACTION
        user=actor,
        detail=f"保存期限 {months} 个月：删除 {cutoff.date().isoformat()} 之前的审计记录 "
        f"{deleted} 条；{anchor}{kept}",
    )
    return deleted, exported


def oldest_explained_moment() -> datetime | None:
    """When the events explaining the oldest registered year began: the earliest submission
    (or, for a paper year, registration) of a declaration still registered. Read from the
    table itself: the audit layer sits below the declarations (their enum is stored by name)."""
    from portal.models_base import UTCDateTime

    table = sa.table(
        "declaration",
        sa.column("status"),
        sa.column("submitted_at", UTCDateTime),
        sa.column("registered_at", UTCDateTime),
    )
    moment = sa.func.min(sa.func.coalesce(table.c.submitted_at, table.c.registered_at))
    return db.session.scalar(
        sa.select(sa.type_coerce(moment, UTCDateTime)).where(table.c.status == "REGISTERED")
    )


def export_before(cutoff: datetime, folder=None) -> str:
    """Every event before `cutoff`, whole (sequence and hashes, so the chain can still be
    checked), one JSON object a line, in a new file only the service account can read."""
    import json
    import os

    from portal.config import private_dir

    folder = private_dir(
        folder
        or current_app.config.get("AUDIT_EXPORT_FOLDER")
        or os.path.join(current_app.instance_path, "audit-exports")
    )
    path = folder / f"audit-before-{cutoff:%Y%m%d}-{utcnow():%Y%m%d%H%M%S}.jsonl"
    columns = AuditEvent.__table__.c
    rows = db.session.execute(
        sa.select(AuditEvent.__table__).where(columns.at < cutoff).order_by(columns.seq)
    ).mappings()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(dict(row), ensure_ascii=False, default=str) + "\n")
    return str(path)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
