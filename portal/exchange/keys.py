"""API keys of the systems that pull from /api/v1/: created and revoked by the admin (page and
`flask api-keys`), kept as SHA-256 only and shown once; and the check of a request's key.

A key is 256 random bits (`cek_` and 43 URL-safe characters), so a plain SHA-256 is enough to
keep it (nothing to guess from the hash). A wrong, missing or revoked key counts as a failed
login of the address (the login throttle: LOGIN_MAX_FAILURES_PER_ADDRESS), is audited as a
refused access and gets 401 with nothing else; an address over the limit gets 429. Operations
flush, never commit (the refusals commit their audit event themselves: the answer is an error).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa

from portal.accounts import service as accounts
from portal.accounts.models import User
from portal.audit.service import record, record_denied
from portal.exchange.models import ApiKey, KeyScope
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import CONFLICT, INVALID, Refusal, not_found

KEY_START = "cek_"
PREFIX_LENGTH = 10  # "cek_" and 6 characters: tells keys apart, says nothing usable


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(user: User | None, name: str, scope: str) -> tuple[ApiKey, str]:
    """A new key for a consumer: (the row, the key itself, to be shown once)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Refusal("请填写使用方名称（不超过100字）。", INVALID, field="name")
    try:
        scope_ = KeyScope(scope)
    except ValueError:
        choices = "、".join(s.value for s in KeyScope)
        raise Refusal(f"范围应为 {choices} 之一。", INVALID, field="scope") from None
    if db.session.scalar(sa.select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise Refusal(f"已有名为“{name}”的接口密钥，请换一个名称。", INVALID, field="name")
    secret = KEY_START + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        scope=scope_,
        key_hash=digest(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(key)
    db.session.flush()
    record("api_key.create", key, user=user, detail=f"范围：{scope_.label}")
    return key, secret


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(sa.select(ApiKey).order_by(ApiKey.id)))


def find_key(ident: str) -> ApiKey:
    """A key by its number, name or prefix (as `api-keys list` shows them)."""
    ident = (ident or "").strip()
    key = None
    if ident.isdigit():
        key = db.session.get(ApiKey, int(ident))
    if key is None:
        key = db.session.scalar(
            sa.select(ApiKey).where(sa.or_(ApiKey.name == ident, ApiKey.prefix == ident))
        )
    if key is None:
        raise not_found("没有这个接口密钥。")
    return key


def revoke_key(user: User | None, key: ApiKey) -> ApiKey:
    if key.revoked:
        raise Refusal("该接口密钥已吊销。", CONFLICT)
    key.revoked_at = utcnow()
    key.revoked_by_id = getattr(user, "id", None)
    record("api_key.revoke", key, user=user, detail=f"范围：{key.scope.label}")
    return key


def key_json(key: ApiKey) -> dict:
    """A key as `api-keys list` prints it (never the key or its hash)."""
    return {
        "id": key.id,
        "name": key.name,
        "scope": key.scope.value,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(timespec="seconds"),
        "revoked_at": key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else None,
        "last_used_at": key.last_used_at.isoformat(timespec="seconds")
        if key.last_used_at
        else None,
    }


# --- a request's key -------------------------------------------------------------------------


class KeyRefused(Exception):
    """The answer to a request without a good key: 401, 403 (another scope) or 429."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def _lookup(secret: str) -> ApiKey | None:
    if not secret.startswith(KEY_START) or len(secret) > 100:
        return None
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == digest(secret)))
    # The hash was looked up by equality; compare again in constant time all the same.
    if key is not None and hmac.compare_digest(key.key_hash, digest(secret)):
        return key
    return None


def consumer(key: ApiKey) -> str:
    """Who pulled, as the audit log names them."""
    return f"接口:{key.name}"[:64]


def authorise(header: str | None, ip: str, scope: KeyScope) -> ApiKey:
    """The key of `Authorization: Bearer <key>` if it may pull `scope`; else KeyRefused, its
    audit event committed."""
    now = utcnow()
    if accounts.address_throttled(ip, now) is not None:
        record_denied("api.refused", "此网络地址失败次数过多，暂停接口调用", now=now)
        raise KeyRefused(429)
    scheme, _, secret = (header or "").partition(" ")
    key = _lookup(secret.strip()) if scheme.lower() == "bearer" else None
    if key is None or key.revoked:
        accounts.count_key_failure(ip, now)
        if key is None:
            record_denied("api.refused", "接口密钥无效或缺失", now=now)
        else:
            record_denied("api.refused", "接口密钥已吊销", obj=key, username=consumer(key), now=now)
        raise KeyRefused(401)
    if key.scope is not scope:
        record_denied(
            "api.refused",
            f"接口密钥的范围为“{key.scope.label}”，不能调取“{scope.label}”",
            obj=key,
            username=consumer(key),
            now=now,
        )
        raise KeyRefused(403)
    key.last_used_at = now
    return key


def audit_pull(key: ApiKey, what: str, count: int) -> None:
    """Every pull: which consumer, what, how many records."""
    record("api.pull", key, username=consumer(key), detail=f"{what}：{count}条")
