"""One refusal: a service says no with a Chinese message and the HTTP status to answer with.

Services raise `Refusal`; they never call `abort()`. One handler (portal.errors) renders it as a
page or an htmx fragment, and `portal.cli_support.refusals_exit` turns it into a CLI error (exit
2). A refusal that names an `action` is audited with outcome "refused" by that handler through
an explicit call, after the refused request's changes are rolled back.
"""

from __future__ import annotations

from typing import Any

CONFLICT = 409  # the object's state does not allow it
INVALID = 422  # the input does not make sense
FORBIDDEN = 403
NOT_FOUND = 404  # also for objects the user may not see: existence is never leaked
TOO_MANY = 429


class Refusal(Exception):
    """An action refused. `message` is shown as is; `field` names the form field it belongs to."""

    def __init__(
        self,
        message: str,
        status: int = CONFLICT,
        *,
        field: str | None = None,
        action: str | None = None,
        obj: Any = None,
        user: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
        self.action = action
        self.obj = obj
        self.user = user

    def __str__(self) -> str:
        return self.message

    @property
    def on_form(self) -> bool:
        """A refusal a form shows beside its fields (state or input); the others (403, 404,
        429) are answered by the error handler as pages."""
        return self.status in (CONFLICT, INVALID)


def not_found(message: str = "您要找的记录不存在或您无权查看。") -> Refusal:
    return Refusal(message, NOT_FOUND)


def forbidden(message: str = "您没有权限执行此操作。") -> Refusal:
    return Refusal(message, FORBIDDEN)
