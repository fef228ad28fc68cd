"""Qualified lists that did not arrive (issue 22.1): a filed training whose qualified list has
not come 30 days after its end is listed for the bureau, and its filer is reminded once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.clock import local_today
from portal.extensions import db
from portal.jobs.service import periodic
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.providers.models import PlanState, QualifiedRow, TrainingPlan

LIST_DAYS = 30  # 附件2's list is due within this many days of the training's end
KIND = "plan.list_overdue"


@dataclass(frozen=True)
class Overdue:
    plan: TrainingPlan
    due: date
    days: int  # days past the due day


def overdue_lists(today: date | None = None) -> list[Overdue]:
    """Accepted plans that ended more than 30 days ago with no qualified row received."""
    today = today or local_today()
    received = sa.select(QualifiedRow.plan_id)
    plans = db.session.scalars(
        sa.select(TrainingPlan)
        .options(joinedload(TrainingPlan.provider), joinedload(TrainingPlan.unit))
        .where(
            TrainingPlan.state == PlanState.ACCEPTED,
            TrainingPlan.end_date < today - timedelta(days=LIST_DAYS),
            TrainingPlan.id.not_in(received),
        )
        .order_by(TrainingPlan.end_date, TrainingPlan.id)
    ).all()
    return [
        Overdue(p, p.end_date + timedelta(days=LIST_DAYS), (today - p.end_date).days - LIST_DAYS)
        for p in plans
    ]


def remind(today: date | None = None) -> int:
    """Remind each overdue plan's filer once (a message naming the filing number)."""
    sent = 0
    for item in overdue_lists(today):
        plan = item.plan
        if plan.filed_by is None:
            continue
        text = (
            f"培训“{plan.title}”（备案号{plan.filing_no}）已于{plan.end_date:%Y-%m-%d}结束，"
            f"合格人员名单应在结束后{LIST_DAYS}日内报送，至今未收到，请尽快报送。"
        )
        told = db.session.scalar(
            sa.select(Notification.id).where(
                Notification.user_id == plan.filed_by_id,
                Notification.kind == KIND,
                Notification.text.contains(f"备案号{plan.filing_no}）", autoescape=True),
            )
        )
        if told is None:
            sent += notify([plan.filed_by], KIND, text, "providers.plan", plan_id=plan.id)
    return sent


@periodic(KIND, "提醒逾期未报送合格人员名单", "每天 09:10", per_county=True, minute="10", hour="9")
def remind_overdue(job, progress) -> str:
    return f"逾期未报送合格人员名单的培训 {len(overdue_lists())} 项，本次提醒 {remind()} 项"
