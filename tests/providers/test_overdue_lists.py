"""Issue 22.1: a filed training whose qualified list has not arrived 30 days after its end is
listed for the bureau, and its filer is reminded once."""

from datetime import date, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.extensions import db
from portal.notifications.models import Notification
from portal.providers import overdue
from portal.providers.models import ListRowStatus, QualifiedRow
from tests.conftest import logged_in


def test_a_list_thirty_days_late_is_listed_and_its_filer_reminded_once(
    app, make_provider_user, make_plan, make_user
):
    user = make_provider_user()
    today = date(2026, 12, 7)
    make_plan(user, end_date=today - timedelta(days=31), filing_no="BA2026-0001")
    make_plan(user, end_date=today - timedelta(days=30), filing_no="BA2026-0002")  # due today
    arrived = make_plan(user, end_date=today - timedelta(days=60), filing_no="BA2026-0003")
    db.session.add(
        QualifiedRow(
            plan_id=arrived.id,
            id_number="340102199001011234",
            name="张三",
            hours=12,
            status=ListRowStatus.UNMATCHED,
        )
    )
    db.session.commit()
    with app.test_request_context():
        found = overdue.overdue_lists(today)
        assert [(i.plan.filing_no, i.days) for i in found] == [("BA2026-0001", 1)]
        assert overdue.remind(today) == 1
        assert overdue.remind(today) == 0  # once
        assert overdue.remind(today + timedelta(days=1)) == 1  # BA2026-0002 is late now
    texts = db.session.scalars(
        sa.select(Notification.text).where(Notification.user_id == user.id)
    ).all()
    assert len(texts) == 2 and "30日内报送" in texts[0]
    assert ["BA2026-0001" in texts[0], "BA2026-0002" in texts[1]] == [True, True]


def test_the_bureau_sees_them_on_the_filings_page(app, make_provider_user, make_plan, make_user):
    make_plan(make_provider_user(), end_date=date.today() - timedelta(days=45))
    officer = logged_in(app, make_user(Role.BUREAU_OFFICER))
    page = officer.get("/providers/filings")
    assert "逾期未报送合格人员名单的培训" in page.text and "BA2026-0001" in page.text
