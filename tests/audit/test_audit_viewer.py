"""The audit log viewer: auditor only, newest first, filters, pages, CSV export that is audited."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.extensions import db


@pytest.fixture
def auditor(client, auth, make_user):
    user = make_user(Role.AUDITOR, username="auditor1")
    auth.login(user)
    return user


def _event(at, action="declaration.submit", outcome="success", username="someone", detail=""):
    db.session.add(
        AuditEvent(
            at=at, action=action, outcome=outcome, username=username, ip="10.0.0.9", detail=detail
        )
    )
    db.session.commit()


def test_newest_first_in_local_time(client, auditor):
    _event(datetime(2026, 1, 5, 16, 30, tzinfo=UTC), detail="较早")
    _event(datetime(2026, 1, 6, 2, 0, tzinfo=UTC), detail="较晚")
    page = client.get("/audit/").text
    assert page.index("较晚") < page.index("较早")
    assert "2026-01-06 00:30:00" in page  # 16:30 UTC is past midnight in +08:00
    assert "2026-01-06 10:00:00" in page


def test_filters(client, auditor):
    _event(datetime(2026, 1, 5, 16, 30, tzinfo=UTC), action="auth.login", outcome="failure",
           username="zhang")  # fmt: skip
    _event(datetime(2026, 1, 7, 2, 0, tzinfo=UTC), action="unit.create", username="admin9")
    page = client.get("/audit/?action=auth.login").text
    assert "zhang" in page and "admin9" not in page
    page = client.get("/audit/?outcome=failure").text
    assert "zhang" in page and "admin9" not in page
    page = client.get("/audit/?username=adm").text
    assert "zhang" not in page and "admin9" in page
    # Dates are local days: 2026-01-06 +08:00 holds 16:30 UTC of the 5th.
    page = client.get("/audit/?date_from=2026-01-06&date_to=2026-01-06").text
    assert "zhang" in page and "admin9" not in page
    response = client.get("/audit/?date_from=2026-13-40")
    assert response.status_code == 422 and "日期格式应为" in response.text


def test_pagination(client, auditor):
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for n in range(55):
        db.session.add(
            AuditEvent(at=start + timedelta(minutes=n), action="x.y", username=f"u{n:02d}")
        )
    db.session.commit()
    first = client.get("/audit/?action=x.y").text
    assert "u54" in first and "u04" not in first
    assert "第 1 / 2 页" in first
    assert "/audit/?page=2&amp;action=x.y" in first
    second = client.get("/audit/?action=x.y&page=2").text
    assert "u04" in second and "u54" not in second


def test_fragment_for_htmx(client, auditor):
    response = client.get("/audit/", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<div id="audit-events"')


def test_export_csv_with_bom_and_is_audited(client, auditor):
    _event(datetime(2026, 1, 5, 16, 30, tzinfo=UTC), action="auth.login", outcome="failure",
           username="=HYPERLINK(1)", detail="第 1 次失败")  # fmt: skip
    response = client.get("/audit/export.csv?action=auth.login&outcome=failure")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "时间（北京时间）"
    assert rows[1][:2] == ["2026-01-06 00:30:00", "'=HYPERLINK(1)"]  # no formula for Excel
    assert rows[1][4] == "登录" and rows[1][8] == "失败" and rows[1][9] == "第 1 次失败"
    assert len(rows) == 2
    export = db.session.scalar(db.select(AuditEvent).filter_by(action="audit.export"))
    assert export.user_id == auditor.id
    assert export.detail == "条件：操作：auth.login；结果：failure；1 条"


def test_no_way_to_change_the_log(client, auditor):
    _event(datetime(2026, 1, 5, tzinfo=UTC))
    assert client.post("/audit/").status_code == 405
    assert client.get("/audit/1/delete").status_code == 404
    event = db.session.scalar(db.select(AuditEvent))
    event.detail = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
