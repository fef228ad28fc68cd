"""notify() is the one way a service tells people about a state change that concerns them.

Recipients are accounts (anything with an `id`; a person without an account is skipped).
Messages are rows in the same transaction as the change: they stand or fall with it and are
never lost; reading one marks it read, nothing deletes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context

from portal.extensions import db
from portal.models_base import utcnow
from portal.notifications.models import Notification
from portal.refusal import not_found

PAGE_SIZE = 50


def notify(recipients: Iterable[Any], kind: str, text: str, endpoint: str = "", **args) -> int:
    """One message to each distinct recipient; returns how many were written."""
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.id is None or user.id in seen:
            continue
        seen.add(user.id)
        db.session.add(
            Notification(user_id=user.id, kind=kind, text=text[:500], endpoint=endpoint, args=args)
        )
    if seen:
        db.session.flush()
        _forget_count()
    return len(seen)


def notify_each(
    messages: Iterable[tuple[int | None, str, dict]], kind: str, endpoint: str = ""
) -> int:
    """Many people, each their own text and page arguments: (user id, text, args); a None id
    (no account) is skipped. One flush for all (a 5,000-row list tells each person once)."""
    written = 0
    for user_id, text, args in messages:
        if user_id is None:
            continue
        db.session.add(
            Notification(user_id=user_id, kind=kind, text=text[:500], endpoint=endpoint, args=args)
        )
        written += 1
    if written:
        db.session.flush()
        _forget_count()
    return written


def unread_count(user) -> int:
    """The bell's figure: as the account's statement brought it along (keep_count), unless
    this request has written a message or marked one read since; else counted now."""
    kept = g.get("_unread") if has_app_context() else None
    if kept is not None and kept[0] == user.id:
        return kept[1]
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def unread_of(account_id) -> sa.ScalarSelect:
    """The unread count of the account `account_id` names (a column of the account's
    statement), for keep_count."""
    return (
        sa.select(sa.func.count(Notification.id))
        .where(Notification.user_id == account_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def keep_count(user_id: int, count: int) -> None:
    """The request's unread count of this account, read with the account (unread_of)."""
    g._unread = (user_id, count)


def _forget_count() -> None:
    """A message written or marked read: the bell counts again."""
    if has_app_context():
        g.pop("_unread", None)


def inbox(user, limit: int = PAGE_SIZE) -> list[Notification]:
    """Newest first, unread or not."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def get_own(user, notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise not_found("该消息不存在。")
    return notification


def mark_read(user, notification_id: int) -> Notification:
    notification = get_own(user, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
        _forget_count()
    return notification


def mark_all_read(user) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    _forget_count()
    return result.rowcount
