"""Units publicise their own people when the bureau allows it (setting UNIT_PUBLICITY, 004
第十四条), with the board's machinery; the publicity length is a setting never under 5 working
days (page, service, command line)."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.board import service
from portal.declarations import lifecycle
from portal.declarations.lifecycle import Action
from portal.declarations.models import Declaration, DeclarationStatus, ReviewingBody
from portal.extensions import db
from portal.refusal import Refusal
from portal.settings import get_setting, set_setting
from portal.units.models import UnitType

MONDAY = date(2025, 9, 15)


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(service, "local_today", lambda: MONDAY)


@pytest.fixture
def units(ctx, make_unit, make_user, make_professional, make_submitted_declaration):
    """Two schools, each with a reviewer who approved one of its people; a year the bureau
    approved for a person of a private firm; and one of school A's approved by the bureau."""
    a, b = make_unit(name="第一中学"), make_unit(name="第二中学")
    firm = make_unit(name="某科技公司", type=UnitType.PRIVATE_ENTERPRISE)
    staff = {
        "RA": make_user(Role.UNIT_REVIEWER, unit=a),
        "RB": make_user(Role.UNIT_REVIEWER, unit=b),
        "officer": make_user(Role.BUREAU_OFFICER),
    }

    def approved(unit, name, reviewer, body=ReviewingBody.UNIT):
        return make_submitted_declaration(
            make_professional(unit=unit, name=name),
            status=DeclarationStatus.APPROVED,
            unit_id=unit.id,
            reviewing_body=body,
            reviewer_id=reviewer.id,
            general_hours=30,
            professional_hours=60,
            total_hours=90,
            compliant=True,
        )

    return staff, {
        "a": approved(a, "张三", staff["RA"]),
        "b": approved(b, "李四", staff["RB"]),
        "firm": approved(firm, "王五", staff["officer"], ReviewingBody.BUREAU),
        "a_by_bureau": approved(a, "赵六", staff["officer"]),  # e.g. a two-step second step
    }


def test_off_by_default_a_unit_cannot_publicise(client, auth, units):
    staff, rows = units
    assert get_setting("UNIT_PUBLICITY") is False
    auth.login(staff["RA"])
    assert client.get("/board/unit").status_code == 403
    assert client.post("/board/unit", data={"declarations": [rows["a"].id]}).status_code == 403
    assert "本单位公示" not in client.get("/").text
    with pytest.raises(Refusal) as refused:
        service.open_batch(staff["RA"], [rows["a"].id], MONDAY, today=MONDAY)
    assert refused.value.status == 403
    with pytest.raises(Refusal):
        lifecycle.transition(staff["RA"], rows["a"], Action.PUBLICISE)


def test_a_unit_publicises_only_what_it_approved_for_its_own_people(client, auth, units, pinned):
    staff, rows = units
    set_setting("UNIT_PUBLICITY", True)
    db.session.commit()
    auth.login(staff["RA"])
    page = client.get("/board/unit")
    assert page.status_code == 200
    assert "张三" in page.text
    for other in ("李四", "王五", "赵六"):
        assert other not in page.text
    assert "本单位公示" in page.text
    # Another unit's, the bureau's: refused, nothing opened.
    for name in ("b", "firm", "a_by_bureau"):
        response = client.post(
            "/board/unit",
            data={"declarations": [rows[name].id], "start": "2025-09-16"},
        )
        assert response.status_code == 403, name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(service.PublicityBatch)) == 0
    # The bureau's own pages stay the bureau's.
    assert client.get("/board/batches").status_code == 403
    assert client.get("/board/objections").status_code == 403
    response = client.post(
        "/board/unit", data={"declarations": [rows["a"].id], "start": "2025-09-16"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    mine = db.session.get(Declaration, rows["a"].id)
    assert mine.status is DeclarationStatus.PUBLICISED
    batch = db.session.get(service.PublicityBatch, mine.batch_id)
    assert batch.title.startswith("第一中学")
    assert (batch.start_date, batch.end_date) == (date(2025, 9, 16), date(2025, 9, 22))
    assert client.get(f"/board/batches/{batch.id}").status_code == 200
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "publicity.batch_opened")
    ).all()
    assert [e.user_id for e in events if e.outcome == "success"] == [staff["RA"].id]
    auth.logout()
    auth.login(staff["RB"])
    assert client.get(f"/board/batches/{batch.id}").status_code == 404  # not its batch
    assert client.get("/board/unit").status_code == 200


def test_the_bureau_still_publicises_everyone(units, pinned):
    staff, rows = units
    set_setting("UNIT_PUBLICITY", True)
    batch = service.open_batch(
        staff["officer"], [r.id for r in rows.values()], date(2025, 9, 16), today=MONDAY
    )
    assert all(r.status is DeclarationStatus.PUBLICISED for r in rows.values())
    assert batch.end_date == date(2025, 9, 22)


def test_batches_use_the_publicity_length_setting(units, pinned):
    staff, rows = units
    set_setting("PUBLICITY_WORKING_DAYS", 7)
    batch = service.open_batch(staff["officer"], [rows["a"].id], date(2025, 9, 16), today=MONDAY)
    assert batch.end_date == date(2025, 9, 24)  # Tue 16 + 7 working days


def test_the_publicity_length_never_goes_below_five(app, runner, client, auth, make_user):
    from portal.admin.service import save_settings
    from portal.settings import SETTINGS

    admin = make_user(Role.ADMIN)
    with app.test_request_context():
        values = {spec.key: get_setting(spec.key) for spec in SETTINGS}
        with pytest.raises(Refusal) as refused:
            save_settings(admin, values | {"PUBLICITY_WORKING_DAYS": 4})
        assert refused.value.message == "公示期（工作日）：公示期不得少于5个工作日（第十四条）。"
        assert refused.value.field == "PUBLICITY_WORKING_DAYS"
    result = runner.invoke(args=["settings", "set", "PUBLICITY_WORKING_DAYS", "3"])
    assert result.exit_code == 2
    assert "公示期不得少于5个工作日" in result.output
    result = runner.invoke(args=["settings", "set", "PUBLICITY_WORKING_DAYS", "abc"])
    assert result.exit_code == 2 and "请填写整数" in result.output
    result = runner.invoke(args=["settings", "set", "NO_SUCH", "1"])
    assert result.exit_code == 2
    result = runner.invoke(args=["settings", "set", "PUBLICITY_WORKING_DAYS", "6"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["value"] == 6
    result = runner.invoke(args=["settings", "set", "UNIT_PUBLICITY", "是"])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(args=["settings", "show"]).output)
    assert shown["PUBLICITY_WORKING_DAYS"] == 6 and shown["UNIT_PUBLICITY"] is True
    with app.test_request_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "settings.update")
        ).all()
        assert any("公示期（工作日）：5 → 6" in e.detail for e in events)
