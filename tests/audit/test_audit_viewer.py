"""The audit log viewer: auditor only, newest first, filters, pages, CSV export that is audited."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts.models import Role
from portal.audit.actions import ACTIONS
from portal.audit.models import AuditEvent
from portal.extensions import db


@pytest.fixture
def auditor(client, auth, make_user):
    user = make_user(Role.AUDITOR, username="auditor1")
    auth.login(user)
    return user


def _event(at, action="declaration.submit", outcome="success", username="someone", detail="",
           **kwargs):  # fmt: skip
    db.session.add(
        AuditEvent(
            at=at,
            action=action,
            outcome=outcome,
            username=username,
            ip="10.0.0.9",
            detail=detail,
            **kwargs,
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
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["操作"], row["操作代码"], row["结果"]) == ("登录", "auth.login", "失败")
    assert row["详情"] == "第 1 次失败"
    assert len(rows) == 2
    export = db.session.scalar(db.select(AuditEvent).filter_by(action="audit.export"))
    assert export.user_id == auditor.id
    assert export.detail == "条件：操作：登录（auth.login）；结果：失败；1 条"
    assert export.object_name == ""


def test_labels_and_object_names_in_the_viewer_and_the_csv(client, auditor):
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    _event(at, action="claim.delete", outcome="refused", username="wang",
           object_type="claim", object_id="17",
           object_name="王晓梅 2025年度申报 第3项（培训、研修或进修）")  # fmt: skip
    _event(at, action="unit.update", username="old1", object_type="unit", object_id="4")
    _event(at, action="legacy.thing", username="old2", object_type="gizmo", object_id="9")
    _event(at, action="review.approved", username="bad", object_type="declaration",
           object_id="3", object_name="-2+3 2025年度申报")  # fmt: skip

    page = client.get("/audit/").text
    assert "删除申报条目" in page and "拒绝办理" in page
    assert "王晓梅 2025年度申报 第3项（培训、研修或进修）" in page
    assert "claim #17" not in page
    assert "单位 #4" in page  # a row from before object names: type label and id
    assert "gizmo #9" in page
    # The filter offers every declared action by its label, grouped, and refused outcomes.
    for action, label in ACTIONS.items():
        assert f'<option value="{action}" >{label}</option>' in page
    assert '<optgroup label="年度申报">' in page
    assert '<option value="refused" >拒绝办理</option>' in page
    assert '<option value="legacy.thing" >legacy.thing</option>' in page

    page = client.get("/audit/?outcome=refused").text
    assert "wang" in page and "old1" not in page
    assert '<option value="refused" selected>拒绝办理</option>' in page

    response = client.get("/audit/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["时间（北京时间）", "账号", "角色", "地址", "操作", "操作代码", "对象",
                       "对象类型", "对象编号", "结果", "详情"]  # fmt: skip
    by_user = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_user["wang"]["操作"] == "删除申报条目"
    assert by_user["wang"]["操作代码"] == "claim.delete"
    assert by_user["wang"]["结果"] == "拒绝办理"
    assert by_user["wang"]["对象"] == "王晓梅 2025年度申报 第3项（培训、研修或进修）"
    assert (by_user["wang"]["对象类型"], by_user["wang"]["对象编号"]) == ("申报条目", "17")
    assert by_user["old1"]["对象"] == "单位 #4"
    assert by_user["old2"]["操作"] == "legacy.thing"
    assert by_user["bad"]["对象"] == "'-2+3 2025年度申报"  # no formula for Excel


def test_no_way_to_change_the_log(client, auditor):
    _event(datetime(2026, 1, 5, tzinfo=UTC))
    assert client.post("/audit/").status_code == 405
    assert client.get("/audit/1/delete").status_code == 404
    event = db.session.scalar(db.select(AuditEvent))
    event.detail = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_the_action_filter_lists_each_operation_once(client, auditor):
    """Issue 20.7: declared operations appear once, by their Chinese name; only codes no
    longer declared go to 其他."""
    now = datetime.now(UTC)
    _event(now, action="declaration.submit")
    _event(now, action="auth.login")
    _event(now, action="old.renamed_action")
    page = client.get("/audit/").text
    select = page.split('<select id="action"')[1].split("</select>")[0]
    values = [part.split('"')[0] for part in select.split('<option value="')[1:]]
    assert len(values) == len(set(values)) == len(ACTIONS) + 2  # 全部, the undeclared one
    other = select.split("其他（未登记的操作代码）")[1]
    assert ">old.renamed_action<" in other and "declaration.submit" not in other
