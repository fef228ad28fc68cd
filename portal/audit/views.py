"""The audit log viewer: read-only, for the security auditor alone (not even the admin)."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from portal.accounts.models import ROLE_LABELS, Role
from portal.audit import service
from portal.audit.actions import (
    ACTION_GROUPS,
    ACTIONS,
    OBJECT_TYPES,
    OUTCOMES,
    action_label,
    object_label,
    outcome_label,
)
from portal.audit.models import AuditEvent
from portal.audit.service import record
from portal.clock import LOCAL_TZ, local_time
from portal.extensions import db
from portal.security import is_htmx, page_number, require_roles
from portal.spreadsheets import safe_cell

bp = Blueprint("audit", __name__, url_prefix="/audit")
require_roles(bp, Role.AUDITOR)

PER_PAGE = 50
EXPORT_LIMIT = 100_000


@dataclass
class Filters:
    date_from: str = ""
    date_to: str = ""
    action: str = ""
    username: str = ""
    outcome: str = ""

    @classmethod
    def from_args(cls, args) -> tuple["Filters", dict[str, str]]:
        filters = cls(**{name: args.get(name, "").strip() for name in cls.__dataclass_fields__})
        errors = {}
        for name in ("date_from", "date_to"):
            value = getattr(filters, name)
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    errors[name] = "日期格式应为 年-月-日"
        return filters, errors

    def apply(self, query: sa.Select) -> sa.Select:
        if self.date_from:
            start = datetime.combine(date.fromisoformat(self.date_from), time(), LOCAL_TZ)
            query = query.where(AuditEvent.at >= start)
        if self.date_to:
            end = datetime.combine(date.fromisoformat(self.date_to), time(), LOCAL_TZ)
            query = query.where(AuditEvent.at < end + timedelta(days=1))
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.username:
            query = query.where(AuditEvent.username.contains(self.username))
        if self.outcome:
            query = query.where(AuditEvent.outcome == self.outcome)
        return query

    def describe(self) -> str:
        parts = [
            f"{label}：{value}"
            for label, value in (
                ("起", self.date_from),
                ("止", self.date_to),
                ("操作", self.action and f"{action_label(self.action)}（{self.action}）"),
                ("账号", self.username),
                ("结果", self.outcome and outcome_label(self.outcome)),
            )
            if value
        ]
        return "；".join(parts) or "全部"

    def query_args(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


def _events(filters: Filters) -> sa.Select:
    return filters.apply(sa.select(AuditEvent)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@bp.get("/")
def index():
    filters, errors = Filters.from_args(request.args)
    query = _events(filters if not errors else Filters())
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    # Actions in the log that are no longer declared (renamed since) stay searchable.
    known = db.session.scalars(sa.select(AuditEvent.action).distinct()).all()
    other = sorted((set(known) | {filters.action}) - set(ACTIONS) - {""})
    fragment = is_htmx()
    return render_template(
        "audit/_events.html" if fragment else "audit/index.html",
        nightly=None if fragment else _nightly(),
        page=page,
        filters=filters,
        errors=errors,
        action_groups=ACTION_GROUPS,
        other_actions=other,
        action_label=action_label,
        outcomes=OUTCOMES,
        outcome_label=outcome_label,
        object_label=object_label,
        roles=ROLE_LABELS,
    ), 422 if errors else 200


def _nightly():
    """The last run of the nightly check and purge, and the next."""
    from portal.admin.audit_tasks import KIND
    from portal.jobs.service import schedule_state

    states = schedule_state([KIND])
    return states[0] if states else None


@bp.post("/verify")
def verify():
    """Check the chain now (the auditor's button); the check is itself audited."""
    report = service.verify(current_user._get_current_object())
    return render_template("audit/_integrity.html", report=report, nightly=_nightly())


def _cell(value) -> str:
    """Text for a spreadsheet cell; a leading = + - @ would be taken as a formula by Excel."""
    return safe_cell(str(value or ""))


CSV_HEADINGS = [
    "时间（北京时间）",
    "账号",
    "角色",
    "地址",
    "操作",
    "操作代码",
    "对象",
    "对象类型",
    "对象编号",
    "结果",
    "详情",
]


def _csv_row(event: AuditEvent) -> list[str]:
    return [
        _cell(value)
        for value in (
            local_time(event.at, "%Y-%m-%d %H:%M:%S"),
            event.username,
            ROLE_LABELS.get(event.role, event.role) if event.role else "",
            event.ip,
            action_label(event.action),
            event.action,
            object_label(event.object_type, event.object_id, event.object_name),
            OBJECT_TYPES.get(event.object_type, event.object_type),
            event.object_id,
            outcome_label(event.outcome),
            event.detail,
        )
    ]


@bp.get("/export.csv")
def export():
    """The filtered log as CSV (Excel reads it: BOM, formula-safe cells); the export is audited."""
    filters, errors = Filters.from_args(request.args)
    if errors:
        filters = Filters()
    events = db.session.scalars(_events(filters).limit(EXPORT_LIMIT)).all()
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a BOM, so that Excel reads the Chinese as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADINGS)
    writer.writerows(_csv_row(event) for event in events)
    record("audit.export", detail=f"条件：{filters.describe()}；{len(events)} 条")
    stamp = local_time(datetime.now(LOCAL_TZ), "%Y%m%d-%H%M")
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
