"""Publicity: batches with the computed period, the public board, objections, closing."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.board import service
from portal.board.models import Objection, ObjectionStatus, PublicityBatch
from portal.declarations.models import Declaration, DeclarationStatus
from portal.extensions import db
from portal.refusal import Refusal
from portal.units.models import Unit, UnitType

IN_PERIOD = date(2025, 9, 29)
AFTER = date(2025, 10, 10)


@pytest.fixture
def today(monkeypatch):
    """Pin the bureau's today (the views and the service read board.service.local_today)."""

    def pin(day):
        monkeypatch.setattr(service, "local_today", lambda: day)

    pin(IN_PERIOD)
    return pin


@pytest.fixture
def approved(make_unit, make_professional, make_submitted_declaration):
    unit = make_unit(name="第一中学")
    other = make_unit(name="某科技有限公司", type=UnitType.PRIVATE_ENTERPRISE)
    rows = []
    for name, u in (("张三", unit), ("李四", unit), ("王五", other)):
        rows.append(
            make_submitted_declaration(
                make_professional(unit=u, name=name),
                status=DeclarationStatus.APPROVED,
                general_hours=30,
                professional_hours=60,
                total_hours=90,
                compliant=True,
            )
        )
    return rows


@pytest.fixture
def officer(make_user):
    return make_user(Role.BUREAU_OFFICER, name="局经办")


OPENED_ON = date(2025, 9, 25)  # the officer opens the batches the day before they start


def _open(client, declarations, start="2025-09-26", on=OPENED_ON):
    pinned = service.local_today  # the `today` fixture's pin, put back afterwards
    service.local_today = lambda: on
    try:
        return client.post(
            "/board/batches",
            data={"declarations": [str(d.id) for d in declarations], "start": start, "title": ""},
        )
    finally:
        service.local_today = pinned


def _reload(declaration):
    db.session.expire_all()
    return db.session.get(Declaration, declaration.id)


def test_batch_over_national_day_2025(client, auth, officer, approved, today):
    auth.login(officer)
    page = client.get("/board/batches").get_data(as_text=True)
    assert all(name in page for name in ("张三", "李四", "王五"))
    response = _open(client, approved[:2])
    assert response.status_code == 303
    batch = db.session.scalars(sa.select(PublicityBatch)).one()
    # 09-26 Fri, 09-28 make-up Sunday, 09-29, 09-30, then the holiday to 10-08: E = 10-09
    assert (batch.start_date, batch.end_date) == (date(2025, 9, 26), date(2025, 10, 9))
    assert [_reload(d).status for d in approved] == [
        DeclarationStatus.PUBLICISED,
        DeclarationStatus.PUBLICISED,
        DeclarationStatus.APPROVED,
    ]
    assert _reload(approved[0]).batch_id == batch.id
    assert db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "publicity.batch_opened")
    ).one()
    # Already in a batch: cannot be put in another one
    response = _open(client, approved[:1])
    assert response.status_code == 422


def test_publicity_cannot_be_backdated(client, auth, officer, approved, today):
    """A period in the past would register records nobody could object to."""
    auth.login(officer)
    response = _open(client, approved[:1], start="2025-09-24", on=date(2025, 9, 25))
    assert response.status_code == 422
    assert "公示开始日期不能早于今天" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(PublicityBatch)).all() == []
    assert _reload(approved[0]).status is DeclarationStatus.APPROVED
    with pytest.raises(Refusal):
        service.open_batch(officer, [approved[0].id], date(2025, 9, 24), today=date(2025, 9, 25))


def test_start_on_a_rest_day_moves_to_next_working_day(client, auth, officer, approved, today):
    auth.login(officer)
    _open(client, approved[:1], start="2025-10-01")
    batch = db.session.scalars(sa.select(PublicityBatch)).one()
    # 10-09, 10-10, 10-11 (make-up Saturday), 10-13, 10-14
    assert (batch.start_date, batch.end_date) == (date(2025, 10, 9), date(2025, 10, 14))


def test_batch_form_errors(client, auth, officer, approved, today):
    auth.login(officer)
    response = _open(client, [], start="")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "请至少选择一份" in body and "请选择公示开始日期" in body


def test_period_fragment_and_unknown_year_warning(client, auth, officer, today):
    auth.login(officer)
    fragment = client.get(
        "/board/batches/period?start=2025-09-26", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "2025-10-09" in fragment and "<html" not in fragment and "警告" not in fragment
    fragment = client.get(
        "/board/batches/period?start=2027-09-28", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "2027年的国家法定节假日安排尚未收录" in fragment


def test_unit_filter(client, auth, officer, approved, today):
    auth.login(officer)
    unit_id = approved[0].professional.unit_id
    page = client.get(f"/board/batches?unit={unit_id}").get_data(as_text=True)
    assert "张三" in page and "王五" not in page


def test_unit_filter_offers_only_units_with_approved_declarations_waiting(
    client, auth, officer, approved, make_unit, today
):
    make_unit(name="无待公示单位")
    auth.login(officer)
    page = client.get("/board/batches").get_data(as_text=True)
    assert "第一中学（2 人待公示）" in page and "某科技有限公司（1 人待公示）" in page
    assert "无待公示单位" not in page and "自由职业" not in page
    idle = db.session.scalar(sa.select(Unit.id).where(Unit.name == "无待公示单位"))
    page = client.get(f"/board/batches?unit={idle}").get_data(as_text=True)
    assert f'<option value="{idle}" selected>无待公示单位（0 人待公示）</option>' in page
    assert "没有待公示的核验通过申报" in page
    page = client.get("/board/batches?unit=0").get_data(as_text=True)
    assert '<option value="0" selected>自由职业（0 人待公示）</option>' in page


def test_nothing_waiting_offers_no_unit_and_no_period(
    client, auth, officer, make_unit, make_professional, make_submitted_declaration, today
):
    unit = make_unit(name="第一中学")
    make_submitted_declaration(make_professional(unit=unit, name="张三"))  # not approved yet
    auth.login(officer)
    page = client.get("/board/batches").get_data(as_text=True)
    assert "没有待公示的核验通过申报" in page and "人待公示）" not in page
    assert 'id="period"' not in page and "公示开始日期" not in page
    page = client.get(f"/board/batches?unit={unit.id}").get_data(as_text=True)
    assert f'<option value="{unit.id}" selected>第一中学（0 人待公示）</option>' in page


def test_only_bureau_officers_open_batches(client, auth, make_user, approved, today):
    reviewer = make_user(Role.UNIT_REVIEWER, unit=approved[0].professional.unit)
    auth.login(reviewer)
    assert client.get("/board/batches").status_code == 403
    assert _open(client, approved[:1]).status_code == 403
    assert client.get("/board/objections").status_code == 403
    assert _reload(approved[0]).status is DeclarationStatus.APPROVED


def test_board_is_public_and_never_shows_id_numbers(client, auth, officer, approved, today):
    auth.login(officer)
    _open(client, approved)
    auth.logout()
    response = client.get("/board")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for declaration in approved:
        person = declaration.professional
        assert person.name in body
        assert person.id_number not in body
        assert person.masked_id_number not in body
        assert person.id_number[:6] + "*" not in body
    assert "第一中学" in body and "2025-09-26 至 2025-10-09" in body
    assert "提出异议" in body


def _object(client, declaration, **overrides):
    data = {"name": "热心群众", "contact": "13900001111", "content": "该同志当年并未参加培训。"}
    data.update(overrides)
    return client.post(f"/board/objection/{declaration.id}", data=data)


def test_objection_flow_dismiss(client, auth, officer, approved, today):
    auth.login(officer)
    _open(client, approved[:1])
    auth.logout()
    decl = approved[0]
    assert client.get(f"/board/objection/{decl.id}").status_code == 200
    response = _object(client, decl, content="短")
    assert response.status_code == 422 and "10至2000字" in response.get_data(as_text=True)
    assert _object(client, decl).status_code == 303
    objection = db.session.scalars(sa.select(Objection)).one()
    assert objection.status is ObjectionStatus.OPEN and objection.ip
    # The officer dismisses it with a reason
    auth.login(officer)
    assert "该同志当年并未参加培训" in client.get("/board/objections").get_data(as_text=True)
    prefix = f"o{objection.id}-"
    response = client.post(
        f"/board/objections/{objection.id}", data={prefix + "outcome": "dismiss"}
    )
    assert response.status_code == 422 and "请填写处理理由" in response.get_data(as_text=True)
    response = client.post(
        f"/board/objections/{objection.id}",
        data={prefix + "outcome": "dismiss", prefix + "reason": "经核实培训证明真实"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert objection.status is ObjectionStatus.DISMISSED
    assert _reload(decl).status is DeclarationStatus.PUBLICISED
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "objection.raised" in actions and "objection.decided" in actions


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("revoke", DeclarationStatus.REVOKED), ("rereview", DeclarationStatus.SUBMITTED)],
)
def test_objection_upheld(client, auth, officer, approved, today, outcome, status):
    auth.login(officer)
    _open(client, approved[:1])
    decl = approved[0]
    _object(client, decl)
    objection = db.session.scalars(sa.select(Objection)).one()
    prefix = f"o{objection.id}-"
    response = client.post(
        f"/board/objections/{objection.id}",
        data={prefix + "outcome": outcome, prefix + "reason": "经核实证书系伪造"},
    )
    assert response.status_code == 303
    d = _reload(decl)
    assert d.status is status
    assert objection.status is ObjectionStatus.UPHELD
    if outcome == "rereview":
        assert d.batch_id is None and d.total_hours is None
    assert decl.professional.name not in client.get("/board").get_data(as_text=True)


def test_objection_only_while_the_period_runs(client, auth, officer, approved, today):
    auth.login(officer)
    _open(client, approved[:1])
    auth.logout()
    today(date(2025, 9, 25))
    assert client.get(f"/board/objection/{approved[0].id}").status_code == 404
    today(AFTER)
    assert client.get(f"/board/objection/{approved[0].id}").status_code == 404
    assert _object(client, approved[0]).status_code == 404
    # Never for a record that is not on the board
    today(IN_PERIOD)
    assert client.get(f"/board/objection/{approved[1].id}").status_code == 404


def test_objection_rate_limited_per_address(app, client, auth, officer, approved, today):
    app.config["OBJECTION_LIMIT_PER_HOUR"] = 2
    auth.login(officer)
    _open(client, approved[:1])
    auth.logout()
    assert _object(client, approved[0]).status_code == 303
    assert _object(client, approved[0]).status_code == 303
    response = _object(client, approved[0])
    assert response.status_code == 429 and "过于频繁" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Objection.id))) == 2
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert len(refused) == 1


def test_objection_form_is_csrf_protected(csrf_app, client, auth, officer, approved, today):
    csrf_app.config["WTF_CSRF_ENABLED"] = False
    auth.login(officer)
    _open(client, approved[:1])
    auth.logout()
    csrf_app.config["WTF_CSRF_ENABLED"] = True
    assert _object(client, approved[0]).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Objection.id))) == 0


def test_close_is_idempotent(app, client, auth, officer, approved, today, runner):
    auth.login(officer)
    _open(client, approved[:2])
    # During the period nothing is registered
    result = runner.invoke(args=["publicity", "close", "--today", "2025-10-09"])
    assert result.exit_code == 0 and "登记 0 份" in result.output
    result = runner.invoke(args=["publicity", "close", "--today", "2025-10-10"])
    assert result.exit_code == 0, result.output
    assert "登记 2 份" in result.output and "2 registered" in result.output
    assert "关闭公示批次 1 个" in result.output
    with app.app_context():
        states = [db.session.get(Declaration, d.id) for d in approved[:2]]
        assert all(d.status is DeclarationStatus.REGISTERED for d in states)
        assert all(d.registered_on == AFTER for d in states)
        first = [(d.id, d.registered_at) for d in states]
        assert db.session.scalars(sa.select(PublicityBatch)).one().closed_at is not None
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "publicity.registered")
        ).all()
        assert len(events) == 2 and {e.ip for e in events} == {"cli"}
        assert all(e.user_id is None for e in events)
    result = runner.invoke(args=["publicity", "close", "--today", "2025-10-11"])
    assert "登记 0 份" in result.output and "关闭公示批次 0 个" in result.output
    with app.app_context():
        states = [db.session.get(Declaration, d.id) for d in approved[:2]]
        assert [(d.id, d.registered_at) for d in states] == first
        assert all(d.registered_on == AFTER for d in states)


def test_open_objection_holds_the_record_back(app, client, auth, officer, approved, today, runner):
    auth.login(officer)
    _open(client, approved[:2])
    _object(client, approved[0])
    result = runner.invoke(args=["publicity", "close", "--today", "2025-10-10"])
    assert "登记 1 份" in result.output and "暂缓 1 份" in result.output
    assert f"申报#{approved[0].id}" in result.output
    with app.app_context():
        assert db.session.get(Declaration, approved[0].id).status is DeclarationStatus.PUBLICISED
        assert db.session.get(Declaration, approved[1].id).status is DeclarationStatus.REGISTERED
        assert db.session.scalars(sa.select(PublicityBatch)).one().closed_at is None
    # Dismissed: the next run registers it and closes the batch
    objection_id = db.session.scalars(sa.select(Objection.id)).one()
    prefix = f"o{objection_id}-"
    client.post(
        f"/board/objections/{objection_id}",
        data={prefix + "outcome": "dismiss", prefix + "reason": "不属实"},
    )
    result = runner.invoke(args=["publicity", "close", "--today", "2025-10-11"])
    assert "登记 1 份" in result.output and "关闭公示批次 1 个" in result.output


def test_close_button_calls_the_same_function(client, auth, officer, approved, today):
    auth.login(officer)
    _open(client, approved[:1])
    today(AFTER)
    response = client.post("/board/close", follow_redirects=True)
    assert "登记 1 份" in response.get_data(as_text=True)
    assert _reload(approved[0]).status is DeclarationStatus.REGISTERED


def test_close_rejects_a_bad_date(runner):
    result = runner.invoke(args=["publicity", "close", "--today", "2025-13-40"])
    assert result.exit_code == 2


def test_board_hides_a_batch_before_it_starts(client, auth, officer, approved, today):
    auth.login(officer)
    _open(client, approved[:1], start="2025-10-09")
    auth.logout()
    assert approved[0].professional.name not in client.get("/board").get_data(as_text=True)
    today(date(2025, 10, 9))
    assert approved[0].professional.name in client.get("/board").get_data(as_text=True)


# --- the board at county scale (issue 13) -----------------------------------------------------


@pytest.fixture
def many_on_board(officer, make_unit, make_professional, make_submitted_declaration, today):
    """55 publicised records (more than one page of 50) in two units."""
    units = [make_unit(name="第二中学"), make_unit(name="县医院")]
    rows = [
        make_submitted_declaration(
            make_professional(unit=units[i % 2], name=f"人员{i:02d}", account=False),
            status=DeclarationStatus.APPROVED,
            general_hours=30,
            professional_hours=60,
            total_hours=90,
            compliant=True,
        )
        for i in range(55)
    ]
    service.open_batch(officer, [d.id for d in rows], date(2025, 9, 26), today=OPENED_ON)
    db.session.commit()
    return rows


def test_board_is_paginated_by_50(client, many_on_board):
    first = client.get("/board").get_data(as_text=True)
    assert first.count("提出异议</a>") == 50 and "下一页" in first and "上一页" not in first
    second = client.get("/board?page=2").get_data(as_text=True)
    assert second.count("提出异议</a>") == 5 and "上一页" in second and "下一页" not in second


def test_board_search_and_filters(client, officer, many_on_board):
    page = client.get("/board", query_string={"q": "人员07"}).get_data(as_text=True)
    assert "人员07" in page and "人员08" not in page
    page = client.get("/board", query_string={"q": "县医院"}).get_data(as_text=True)
    assert page.count("提出异议</a>") == 27 and "第二中学</td>" not in page
    batch = db.session.scalars(sa.select(PublicityBatch)).one()
    assert (
        client.get("/board", query_string={"q": batch.title[:6]})
        .get_data(as_text=True)
        .count("提出异议</a>")
        == 50
    )
    page = client.get("/board", query_string={"state": "registered"}).get_data(as_text=True)
    assert "没有符合条件的公示记录" in page
    page = client.get("/board", query_string={"q": "无此人"}).get_data(as_text=True)
    assert "没有符合条件的公示记录" in page


def test_board_search_is_a_fragment_of_the_same_template(client, many_on_board):
    response = client.get("/board?q=人员07", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="board-rows"')
    assert "<html" not in fragment and "人员07" in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_archived_batch_is_findable(client, many_on_board, today):
    today(date(2026, 3, 2))  # the batch ended long ago: gone from the default board
    assert "目前没有公示" in client.get("/board").get_data(as_text=True)
    batch = db.session.scalars(sa.select(PublicityBatch)).one()
    page = client.get("/board", query_string={"archived": "y", "q": "人员07"}).get_data(
        as_text=True
    )
    assert "人员07" in page and "公示期满" in page
    page = client.get("/board", query_string={"batch": batch.id}).get_data(as_text=True)
    assert page.count("公示期满") == 50


def test_anonymous_board_is_cacheable_without_a_session(client, many_on_board):
    response = client.get("/board")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert "X-CSRFToken" not in response.get_data(as_text=True)
    etag = response.headers["ETag"]
    again = client.get("/board", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_logged_in_board_is_not_cached(client, auth, officer, many_on_board):
    auth.login(officer)
    response = client.get("/board")
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    assert "X-CSRFToken" in response.get_data(as_text=True)


def test_the_server_cache_is_cleared_when_an_objection_is_decided(client, officer, many_on_board):
    decl = many_on_board[-1]  # the newest: on the first page
    assert decl.professional.name in client.get("/board").get_data(as_text=True)
    objection = service.raise_objection(
        decl, "群众", "13900001111", "该同志当年并未参加培训。", "1.2.3.4"
    )
    service.decide_objection(officer, objection, service.REVOKE, "经核实证书系伪造")
    db.session.commit()
    assert decl.professional.name + "</td>" not in client.get("/board").get_data(as_text=True)


def test_objection_form_gets_its_token_when_opened(csrf_app, many_on_board):
    client = csrf_app.test_client()
    assert "Set-Cookie" not in client.get("/board").headers
    response = client.get(f"/board/objection/{many_on_board[0].id}")
    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert "session=" in response.headers["Set-Cookie"]


def test_close_refuses_a_date_in_the_future(runner, officer, approved):
    """`--today` is for replaying a missed run, never for ending a publicity period early."""
    from portal.clock import local_today

    tomorrow = local_today() + timedelta(days=1)
    result = runner.invoke(args=["publicity", "close", "--today", tomorrow.isoformat()])
    assert result.exit_code == 2
    assert "晚于今天" in result.output
    assert "Traceback" not in result.output
    assert all(_reload(d).status is DeclarationStatus.APPROVED for d in approved)


def test_close_accepts_the_real_today(runner):
    from portal.clock import local_today

    result = runner.invoke(args=["publicity", "close", "--today", local_today().isoformat()])
    assert result.exit_code == 0, result.output
