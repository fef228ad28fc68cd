"""The audit log's hash chain (等保 2.0 审计记录保护): a changed, removed or slipped-in event shows.

Every AuditEvent gets, when it is flushed, the next `seq`, the previous event's hash as
`prev_hash`, and `hash` = HMAC-SHA256 over its content, seq and prev_hash, keyed with AUDIT_KEY:
a secret outside the database (instance/audit_key, mode 600, made on first start like
secret_key; or PORTAL_AUDIT_KEY). Someone who can write the database but cannot read the key can
neither fix up an edited event nor forge a new one.

Appends are serialised: on PostgreSQL by a transaction-level advisory lock, on SQLite by taking
the write lock (a write to the chain head) before reading the head; two requests at once
therefore never fork the chain. The lock is held until the transaction ends, so keep the work
after an audit flush short (it is: the request commits).

Rows go through record() (the ORM: sealed at flush) or, many at once, record_many() (append():
sealed in the order given under the same lock, inserted and the head moved in one step); an
ORM bulk INSERT into audit_event through the session is refused, and a row written beside the
portal has no valid hash, which verify() names.

Retention: purge() removes the oldest events (a prefix of the chain) and moves the anchor, the
hash the first retained event must follow; the purge is itself an audited, chained event that
names the new anchor, so moving the anchor by hand shows too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.audit.models import AuditChain, AuditEvent
from portal.clock import local_time
from portal.models_base import utcnow

HEAD_ID = 1
ADVISORY_LOCK = 0x41554454  # "AUDT": the one PostgreSQL advisory lock of the chain
PURGE_ACTION = "audit.purge"
# How a purge event names the anchor it set (in its detail; the event's hash covers it).
ANCHOR_TEXT = "链起点：序号 {seq}，校验值 {hash}"
_ANCHOR_RE = re.compile(r"链起点：序号 (\d+)，校验值 ([0-9a-f]{64}|（无）)")
_CONTENT = (
    "user_id",
    "username",
    "role",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_name",
    "outcome",
    "detail",
)
MAX_PROBLEMS = 50


def _key() -> bytes:
    key = current_app.config.get("AUDIT_KEY")
    if not key:
        raise RuntimeError("AUDIT_KEY is not set (portal.config makes instance/audit_key)")
    return key.encode() if isinstance(key, str) else key


def _at_text(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC through a raw query
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def digest(key: bytes, seq: int, prev_hash: str, at: datetime, content: dict) -> str:
    """The event's HMAC: its content, its place and its predecessor, in one canonical form."""
    body = {name: content.get(name) for name in _CONTENT}
    body.update(seq=seq, prev=prev_hash, at=_at_text(at))
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _event_digest(key: bytes, row) -> str:
    return digest(key, row.seq, row.prev_hash or "", row.at, {n: getattr(row, n) for n in _CONTENT})


# --- appending ------------------------------------------------------------------------------


def _lock_head(connection) -> tuple[int, str]:
    """Take the chain's lock for this transaction and return the head (seq, hash)."""
    table = AuditChain.__table__
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK)))
    else:
        # A write first: SQLite then holds its write lock, and the read below is current.
        connection.execute(table.update().where(table.c.id == HEAD_ID).values(seq=table.c.seq))
    head = connection.execute(
        sa.select(table.c.seq, table.c.hash).where(table.c.id == HEAD_ID)
    ).first()
    if head is None:
        connection.execute(
            table.insert().values(id=HEAD_ID, seq=0, hash="", anchor_seq=0, anchor_hash="")
        )
        seq, previous = 0, ""
    else:
        seq, previous = head.seq, head.hash
    # A row slipped in beyond the head must not stop the portal from auditing (its seq would
    # collide): go on after it; verify() names it.
    highest = connection.scalar(sa.select(sa.func.max(AuditEvent.__table__.c.seq)))
    return max(seq, highest or 0), previous


_DEFAULTS = {
    **dict.fromkeys(
        ("username", "role", "ip", "object_type", "object_id", "object_name", "detail"), ""
    ),
    "outcome": "success",
}


def _fill_defaults(row: AuditEvent) -> None:
    """The values the INSERT would default, set now: the hash must cover what is stored."""
    if row.at is None:
        row.at = utcnow()
    for name, default in _DEFAULTS.items():
        if getattr(row, name) is None:
            setattr(row, name, default)


@event.listens_for(Session, "before_flush")
def _seal_new_events(session: Session, flush_context, instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda obj: sa.inspect(obj).insert_order)
    connection = session.connection()
    seq, previous = _lock_head(connection)
    key = _key()
    for row in new:
        _fill_defaults(row)
        seq += 1
        row.seq = seq
        row.prev_hash = previous
        row.hash = previous = _event_digest(key, row)
    table = AuditChain.__table__
    connection.execute(table.update().where(table.c.id == HEAD_ID).values(seq=seq, hash=previous))


def append(session: Session, rows: list[dict]) -> int:
    """Chain and insert many events at once (a bulk load): each row (AuditEvent's columns but
    the chain's, `at` given) is sealed in the order given exactly as a flushed event would be,
    under the chain's lock, after the events already pending in the session; then all are
    inserted and the head moved, in the session's transaction. Returns how many."""
    if not rows:
        return 0
    session.flush()  # events added through record() before these come first
    connection = session.connection()
    seq, previous = _lock_head(connection)
    key = _key()
    sealed = []
    for row in rows:
        if row["at"].tzinfo is None:
            raise ValueError("naive datetime given as an audit event's time")
        content = {name: row.get(name) for name in _CONTENT}
        content.update({n: d for n, d in _DEFAULTS.items() if content[n] is None})
        seq += 1
        sealed_hash = digest(key, seq, previous, row["at"], content)
        sealed.append(
            {**content, "at": row["at"], "seq": seq, "prev_hash": previous, "hash": sealed_hash}
        )
        previous = sealed_hash
    events = AuditEvent.__table__
    for start in range(0, len(sealed), 5000):
        connection.execute(events.insert(), sealed[start : start + 5000])
    table = AuditChain.__table__
    connection.execute(table.update().where(table.c.id == HEAD_ID).values(seq=seq, hash=previous))
    return len(sealed)


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_insert(state) -> None:
    """An ORM bulk INSERT of audit rows would skip the chain: use record() for each event, or
    record_many() (append()) for many."""
    mapper = state.bind_mapper
    if state.is_insert and mapper is not None and mapper.class_ is AuditEvent:
        raise RuntimeError(
            "audit events are written one by one through record(), or chained in bulk by "
            "record_many()"
        )


# --- verifying ------------------------------------------------------------------------------


@dataclass
class Problem:
    kind: str  # "unchained" | "missing" | "altered" | "relinked" | "head" | "anchor"
    message: str  # Chinese, names the event
    seq: int | None = None
    event_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "seq": self.seq,
            "event_id": self.event_id,
            "message": self.message,
        }


@dataclass
class Report:
    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    anchor_seq: int = 0
    problems: list[Problem] = field(default_factory=list)
    more: bool = False  # problems beyond MAX_PROBLEMS were not listed

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        if self.intact:
            if not self.checked:
                return "审计日志完整（尚无记录）"
            return (
                f"审计日志完整：共 {self.checked} 条（序号 {self.first_seq}–{self.last_seq}），"
                "逐条校验通过"
            )
        return f"审计日志不完整：{self.problems[0].message}" + (
            f"（另有 {len(self.problems) - 1} 处问题）" if len(self.problems) > 1 else ""
        )

    def as_dict(self) -> dict:
        return {
            "intact": self.intact,
            "checked": self.checked,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "anchor_seq": self.anchor_seq,
            "summary": self.summary,
            "first_problem": self.problems[0].as_dict() if self.problems else None,
            "problems": [p.as_dict() for p in self.problems],
            "more_problems": self.more,
        }


def _name(row) -> str:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return f"序号 {row.seq} 的审计记录（#{row.id}，{local_time(at, '%Y-%m-%d %H:%M:%S')}，{row.action}）"


def verify(session, batch: int = 2000) -> Report:
    """Walk the chain from its anchor to its head; every gap, edit or stray row is a problem."""
    report = Report()

    def problem(kind, message, row=None, seq=None):
        if len(report.problems) >= MAX_PROBLEMS:
            report.more = True
            return
        report.problems.append(
            Problem(kind, message, seq if row is None else row.seq, getattr(row, "id", None))
        )

    key = _key()
    # No lock (issue 23.14: a check over 82,000 events held every append, a login included, for
    # seconds): the head is read before the walk and again after it; events appended meanwhile
    # are checked by their links and hashes, and the walk must end between the two heads.
    head = _read_head(session)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "")
    anchor_seq, anchor_hash = (head.anchor_seq, head.anchor_hash) if head else (0, "")
    report.anchor_seq = anchor_seq
    columns = AuditEvent.__table__.c
    for row in session.execute(
        sa.select(columns).where(sa.or_(columns.seq.is_(None), columns.hash.is_(None)))
    ):
        problem(
            "unchained",
            f"第 #{row.id} 条审计记录（{row.action}）没有校验值：不是由本系统写入的",
            row,
        )
    expected, previous, last_purge = anchor_seq + 1, anchor_hash, None
    query = (
        sa.select(columns)
        .where(columns.seq.is_not(None), columns.hash.is_not(None))
        .order_by(columns.seq)
    )
    for row in session.execute(query.execution_options(yield_per=batch)):
        if report.first_seq is None:
            report.first_seq = row.seq
        if row.seq < expected:
            problem("missing", f"{_name(row)}序号在链起点之前或重复：可能是插入的记录", row)
            continue
        if row.seq > expected:
            gap = (
                f"序号 {expected}" if row.seq == expected + 1 else f"序号 {expected}–{row.seq - 1}"
            )
            problem("missing", f"{gap} 的审计记录缺失（在{_name(row)}之前）", seq=expected)
        if not hmac.compare_digest(_event_digest(key, row), row.hash):
            problem("altered", f"{_name(row)}的内容与校验值不符：已被改动或不是本系统写入的", row)
        elif row.seq == expected and row.prev_hash != previous:
            problem("relinked", f"{_name(row)}与前一条记录的链接不符：前一条已被改动或替换", row)
        if row.action == PURGE_ACTION and row.outcome == "success":
            last_purge = row
        expected, previous = row.seq + 1, row.hash
        report.checked += 1
        report.last_seq = row.seq
    after = _read_head(session)
    after_seq, after_hash = (after.seq, after.hash) if after else (0, "")
    last_seq = expected - 1
    ends_at = {head_seq: head_hash, after_seq: after_hash}
    if last_seq < head_seq:
        gap = f"序号 {expected}" if head_seq == expected else f"序号 {expected}–{head_seq}"
        problem("missing", f"最新的审计记录（{gap}）缺失：链头为序号 {head_seq}", seq=expected)
    elif last_seq > max(head_seq, after_seq) or (
        report.checked and last_seq in ends_at and previous != ends_at[last_seq]
    ):
        problem(
            "head", f"链头（序号 {after_seq}）与最后一条审计记录不符：链头已被改动", seq=after_seq
        )
    _check_anchor(report, last_purge, anchor_seq, anchor_hash, problem)
    return report


def _read_head(session):
    """The chain's head row as committed now (not the session's cached object)."""
    table = AuditChain.__table__
    return session.execute(sa.select(table).where(table.c.id == HEAD_ID)).first()


def _check_anchor(report, last_purge, anchor_seq, anchor_hash, problem) -> None:
    """The anchor must be the one the last purge set (or the chain's start, with no purge)."""
    if last_purge is None:
        named = (0, "")
    else:
        match = _ANCHOR_RE.search(last_purge.detail or "")
        named = (int(match.group(1)), match.group(2).replace("（无）", "")) if match else None
    if named != (anchor_seq, anchor_hash):
        problem(
            "anchor",
            f"链起点（序号 {anchor_seq}）不是最近一次清理所记录的起点：早期记录可能被删除",
            seq=anchor_seq,
        )


# --- retention ------------------------------------------------------------------------------


def purge_prefix(session, cutoff: datetime) -> tuple[int, int, str]:
    """Delete the oldest events up to the first one at or after `cutoff` (a prefix of the chain,
    so the rest stays one chain) and set the anchor. (deleted, anchor seq, anchor hash); the
    caller records the purge event. Runs under the chain's lock."""
    connection = session.connection()
    _lock_head(connection)
    columns = AuditEvent.__table__.c
    first_kept = session.scalar(sa.select(sa.func.min(columns.seq)).where(columns.at >= cutoff))
    if first_kept is None:
        first_kept = (session.scalar(sa.select(sa.func.max(columns.seq))) or 0) + 1
    anchor = session.execute(
        sa.select(columns.seq, columns.hash)
        .where(columns.seq < first_kept)
        .order_by(columns.seq.desc())
        .limit(1)
    ).first()
    head = session.get(AuditChain, HEAD_ID)
    if anchor is None:
        return 0, head.anchor_seq, head.anchor_hash
    expected = session.scalar(sa.select(sa.func.count()).where(columns.seq <= anchor.seq))
    if connection.dialect.name == "postgresql" and connection.scalar(
        sa.text("SELECT to_regprocedure('portal_audit_purge(bigint,timestamptz)') IS NOT NULL")
    ):
        # The documented set-up revokes DELETE on audit_event from the portal's role; this
        # function (owned by the tables' owner) deletes old events only.
        deleted = connection.scalar(
            sa.text("SELECT portal_audit_purge(:seq, :cutoff)"),
            {"seq": anchor.seq, "cutoff": cutoff},
        )
    else:
        deleted = connection.execute(
            AuditEvent.__table__.delete().where(columns.seq <= anchor.seq)
        ).rowcount
    if deleted != expected:  # the anchor must sit right before the oldest retained event
        raise RuntimeError(f"audit purge deleted {deleted} events of {expected}")
    table = AuditChain.__table__
    connection.execute(
        table.update()
        .where(table.c.id == HEAD_ID)
        .values(anchor_seq=anchor.seq, anchor_hash=anchor.hash)
    )
    session.expire(head)
    return deleted, anchor.seq, anchor.hash
