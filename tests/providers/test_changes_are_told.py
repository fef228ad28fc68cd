"""Issue 20.6: changes that concern someone tell them — a provider's list adding a prepared
claim tells the person, a plan's 已备案 / 不予备案 tells its provider, and an objector gets a
number to follow the objection by on a public page."""

from datetime import date, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.board import service as board
from portal.board.models import Objection, PublicityBatch
from portal.clock import local_today
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.notifications import service as notifications
from portal.notifications.models import Notification
from portal.providers import lists
from portal.providers import service as providers
from tests.conftest import logged_in as login
from tests.providers.conftest import list_file
from tests.providers.test_filing import plan_data


def test_a_list_adding_a_prepared_claim_tells_the_person_once(
    app, make_unit, make_professional, make_provider_user, make_plan
):
    provider_user = make_provider_user()
    plan = make_plan(provider_user)
    unit = make_unit()
    told, imported = make_professional(unit=unit), make_professional(unit=unit, account=False)
    rows = [(p.name, "某单位", p.id_number, "一级教师", 12, "合格") for p in (told, imported)]
    with app.test_request_context():
        summary = lists.import_list(provider_user, plan, list_file(rows), "list.xlsx")
        assert summary.matched == 2
        db.session.commit()
    [message] = notifications.inbox(told.user)
    assert message.kind == "claim.prepared"
    assert f"由施教机构报送{plan.end_date.year}年度学时条目1项，共12学时" in message.text
    assert plan.filing_no in message.text
    assert (message.endpoint, message.args) == ("declarations.edit", {"year": plan.end_date.year})
    # the person without an account is skipped; nobody else hears of it
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_a_plan_decision_tells_its_provider(app, make_provider_user, make_user):
    provider_user = make_provider_user()
    colleague = make_user(Role.PROVIDER, provider_id=provider_user.provider_id)
    other_provider = make_provider_user(name="另一培训机构")
    officer = make_user(Role.BUREAU_OFFICER)
    with app.test_request_context():
        accepted = providers.file_plan(
            provider_user, plan_data(date(2026, 6, 1)), filed_on=date(2026, 1, 5)
        )
        refused = providers.file_plan(
            provider_user, plan_data(date(2026, 7, 1)), filed_on=date(2026, 1, 5)
        )
        providers.decide_plan(officer, accepted, True)
        providers.decide_plan(officer, refused, False, "培训内容与专业科目无关")
        db.session.commit()
    for user in (provider_user, colleague):
        texts = {n.kind: n.text for n in notifications.inbox(user)}
        assert (
            texts["plan.accepted"] == f"培训计划“专业科目培训”已备案，备案号{accepted.filing_no}。"
        )
        assert (
            texts["plan.refused"] == "培训计划“专业科目培训”不予备案。理由：培训内容与专业科目无关"
        )
    assert notifications.inbox(other_provider) == [] and notifications.inbox(officer) == []
    message = next(n for n in notifications.inbox(provider_user) if n.kind == "plan.accepted")
    opened = login(app, provider_user).post(f"/notifications/{message.id}/read")
    assert opened.headers["Location"].endswith(f"/providers/plans/{accepted.id}")


def publicised(make_unit, make_user, make_professional, make_submitted_declaration, name="公示甲"):
    """A declaration on the board in a running batch (and the bureau officer who opened it)."""
    officer = make_user(Role.BUREAU_OFFICER)
    batch = PublicityBatch(
        title="测试公示",
        start_date=local_today(),
        end_date=local_today() + timedelta(days=7),
        created_by_id=officer.id,
    )
    db.session.add(batch)
    db.session.flush()
    declaration = make_submitted_declaration(
        make_professional(unit=make_unit(), name=name),
        status=DeclarationStatus.PUBLICISED,
        batch_id=batch.id,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
    )
    return officer, declaration


def test_an_objector_gets_a_number_and_follows_it_publicly(
    app, make_unit, make_user, make_professional, make_submitted_declaration
):
    officer, declaration = publicised(
        make_unit, make_user, make_professional, make_submitted_declaration
    )
    client = app.test_client()
    response = client.post(
        f"/board/objection/{declaration.id}",
        data={
            "name": "李异议",
            "contact": "13800001111",
            "content": "培训证明系伪造，该人当时不在合肥",
        },
    )
    assert response.status_code == 303
    objection = db.session.scalar(sa.select(Objection))
    assert objection.reference and objection.reference.startswith("YY-")
    assert response.headers["Location"].endswith(f"/board/objection-status/{objection.reference}")
    page = client.get(response.headers["Location"])
    assert f"异议编号：{objection.reference}" in page.text  # the flash
    status = page.text.split('id="objection-status"')[1].split("</dl>")[0]
    assert objection.reference in status and "待处理" in status
    for private in ("李异议", "13800001111", "培训证明系伪造，该人当时不在合肥"):
        assert private not in page.text
    # lower case, without dashes, as read over the phone: still found
    typed = objection.reference.replace("-", "").lower()
    found = client.get(f"/board/objection-status?reference={typed}")
    assert found.status_code == 303 and found.headers["Location"].endswith(objection.reference)
    with app.test_request_context():
        board.decide_objection(officer, objection, board.DISMISS, "经核实材料真实")
        db.session.commit()
    later = app.test_client().get(f"/board/objection-status/{objection.reference}").text
    assert "异议不成立" in later and "维持不变" in later
    assert "经核实材料真实" not in later  # the reason goes to the objector, not the public


def test_a_wrong_number_finds_nothing(app):
    client = app.test_client()
    assert client.get("/board/objection-status/YY-AAAA-BBBB-CCCC").status_code == 404
    assert client.get("/board/objection-status?reference=12345").status_code == 422
    assert client.get("/board/objection-status").status_code == 200
    assert board.normal_reference("yy-abcd-efgh-jkl0") == ""  # 0 is not in the alphabet
    numbers = {board.new_reference() for _ in range(200)}
    assert len(numbers) == 200 and all(board.normal_reference(n) == n for n in numbers)
