"""Writing the audit log. Every state change and every export calls record()."""

import re

from flask import current_app, has_request_context, request
from flask_login import current_user

from portal.audit.actions import ACTIONS, OUTCOMES, object_label
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.models_base import utcnow

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")


def redact(text: str) -> str:
    """Mask anything shaped like a resident ID number: 340102********123X."""
    return _ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(2), text or "")


def client_ip() -> str:
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
        ip=client_ip(),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or "") if obj is not None else "",
        object_name=object_name(obj),
        outcome=outcome,
        detail=redact(detail)[:2000],
    )
    db.session.add(event)
    return event


def record_refusal(refusal) -> None:
    """A refused action: whatever it changed is rolled back, and its audit event alone is kept
    (when the refusal names an action)."""
    db.session.rollback()
    if refusal.action:
        record(
            refusal.action,
            refusal.obj,
            outcome="refused",
            detail=refusal.message,
            user=refusal.user,
        )
        db.session.commit()
