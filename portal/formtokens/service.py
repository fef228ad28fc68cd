"""One-time form tokens for the create forms (claim, evidence, declaration, plan, lists).

A create form carries a hidden field `form_token`, signed with the app's secret: a random nonce,
the user's id and the time it was issued (nothing is stored when a form is shown). The first
POST with a token records the nonce before the view runs (a second, concurrent POST waits on
the key and then sees the first), and, when the view succeeds, what it answered: the redirect
(`Location`) or, for an htmx fragment, the status and body. A repeat of the token answers that
again — the redirect to the created object, or the same fragment — and creates nothing. A
refused or failed first POST is rolled back with its token, so the corrected form may be sent
again. Tokens live FORM_TOKEN_HOURS: an older one is refused (the form must be reopened), so a
record may be purged once it is that old. A POST without a token is processed as before (the
CLI and scripts never send one).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.formtokens.models import FormToken
from portal.models_base import utcnow
from portal.refusal import INVALID, Refusal
from portal.settings import get_setting

FIELD = "form_token"
_SALT = "portal.form-token"
MAX_BODY = 512 * 1024  # a larger fragment is not kept; its repeat reloads the page instead
EXPIRED = "此表单打开已超过{hours}小时，为防止重复保存未予提交，请刷新页面后重新填写。"
NOT_VALID = "此表单已失效，请刷新页面后重新填写。"
REPEATED = "此表单此前已提交成功，未重复保存。"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def lifetime() -> timedelta:
    return timedelta(hours=int(get_setting("FORM_TOKEN_HOURS")))


def issue(user) -> str:
    """A fresh token for one form shown to `user`."""
    return _serializer().dumps({"n": secrets.token_urlsafe(16), "u": user.id})


def nonce_of(user, token: str) -> str:
    """The token's nonce, refused when it is forged, another user's or too old."""
    hours = int(get_setting("FORM_TOKEN_HOURS"))
    try:
        data = _serializer().loads(token, max_age=hours * 3600)
    except SignatureExpired:
        raise Refusal(EXPIRED.format(hours=hours), INVALID) from None
    except BadSignature:
        raise Refusal(NOT_VALID, INVALID) from None
    if not isinstance(data, dict) or data.get("u") != user.id or not isinstance(data.get("n"), str):
        raise Refusal(NOT_VALID, INVALID)
    return data["n"][:32]


def claim(user, token: str, endpoint: str) -> tuple[FormToken | None, FormToken | None]:
    """(the new record, None) on the token's first use; (None, the earlier record) on a repeat."""
    nonce = nonce_of(user, token)
    earlier = db.session.get(FormToken, nonce)
    if earlier is not None:
        return None, earlier
    db.session.execute(sa.delete(FormToken).where(FormToken.created_at < utcnow() - lifetime()))
    row = FormToken(nonce=nonce, user_id=user.id, endpoint=endpoint[:80], created_at=utcnow())
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        # The same token at the same moment: the other request has committed its record.
        db.session.rollback()
        return None, db.session.get(FormToken, nonce)
    return row, None


def remember(row: FormToken, response) -> None:
    """Keep what the first use answered, in the same transaction as what it created."""
    if response.status_code >= 400 or row not in db.session:
        return  # rolled back with the request: the form may be sent again
    row.status = response.status_code
    if 300 <= response.status_code < 400:
        row.location = response.location
    elif response.mimetype == "text/html" and response.content_length is not None:
        body = response.get_data(as_text=True)
        row.body = body if len(body) <= MAX_BODY else None


def replay(earlier: FormToken | None):
    """The answer to a repeat: the first answer again, and nothing created."""
    if earlier is not None and earlier.body is not None:
        return make_response(earlier.body, earlier.status or 200)
    flash(REPEATED, "info")
    target = earlier.location if earlier is not None and earlier.location else url_for("main.index")
    return redirect(target, code=303)


def once(view):
    """Decorate a create view: a POST carrying a token already used answers as the first did."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        token = request.form.get(FIELD) if request.method == "POST" else None
        if not token or not current_user.is_authenticated:
            return view(*args, **kwargs)
        row, earlier = claim(current_user._get_current_object(), token, request.endpoint or "")
        if row is None:
            return replay(earlier)
        response = current_app.make_response(view(*args, **kwargs))
        remember(row, response)
        return response

    return wrapped
