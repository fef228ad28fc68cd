"""Every audited action is declared with a Chinese label; every event names its object."""

import ast
import logging
from pathlib import Path

import pytest

from portal.accounts.models import Role
from portal.audit.actions import ACTIONS, OBJECT_TYPES, OUTCOMES
from portal.audit.models import AuditEvent
from portal.audit.service import record
from portal.board.models import Objection
from portal.certificates.service import ensure_certificate, print_certificate
from portal.declarations.models import Evidence
from portal.extensions import db

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _action_argument(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _helpers(trees) -> dict[str, int]:
    """record itself and every function that passes its own `action` parameter on to one of
    them (e.g. declarations' _refuse and ensure_draft): name -> position of that parameter."""
    helpers = {"record": 0}
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if not isinstance(node, ast.FunctionDef) or node.name in helpers:
                    continue
                params = [a.arg for a in node.args.args]
                if "action" not in params:
                    continue
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and _name(call) in helpers:
                        arg = _action_argument(call, helpers[_name(call)])
                        if isinstance(arg, ast.Name) and arg.id == "action":
                            helpers[node.name] = params.index("action")
                            changed = True
                            break
    return helpers


def _recorded_actions() -> dict[str, list[str]]:
    """Action literals passed to record() or a helper, with where they are."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in PORTAL.rglob("*.py")}
    helpers = _helpers(trees.values())
    found: dict[str, list[str]] = {}
    for path, tree in trees.items():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or _name(call) not in helpers:
                continue
            arg = _action_argument(call, helpers[_name(call)])
            where = f"{path.relative_to(PORTAL.parent)}:{call.lineno}"
            if arg is None or (isinstance(arg, ast.Name) and arg.id == "action"):
                continue  # a helper passing its parameter on; its callers are checked
            if ast.unparse(arg) == "refusal.action":
                continue  # a Refusal's action: the Refusal(...) and audit_as= literals are checked
            assert not isinstance(arg, ast.JoinedStr), f"{where}: an action must not be built"
            constants = [
                n.value
                for n in ast.walk(arg)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            assert constants, f"{where}: action {ast.unparse(arg)} is not a literal"
            for action in constants:
                found.setdefault(action, []).append(where)
    # A refusal is audited under its `action` (Refusal(..., action=...)) or the lifecycle
    # caller's `audit_as=...`.
    for path, tree in trees.items():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            for keyword in call.keywords:
                named = keyword.arg == "audit_as" or (
                    keyword.arg == "action" and _name(call) == "Refusal"
                )
                if named and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                    where = f"{path.relative_to(PORTAL.parent)}:{call.lineno}"
                    found.setdefault(keyword.value.value, []).append(where)
    return found


def test_every_recorded_action_is_declared():
    found = _recorded_actions()
    # The scan itself works: literals through record, helpers and conditional expressions.
    assert {"auth.login", "claim.add", "evidence.add", "unit.deactivate"} <= set(found)
    missing = {a: where for a, where in found.items() if a not in ACTIONS}
    assert not missing, f"declare these in portal/audit/actions.py: {missing}"


def test_labels_are_chinese_and_unique():
    assert set(OUTCOMES) == {"success", "failure", "denied", "refused"}
    for label in [*ACTIONS.values(), *OUTCOMES.values(), *OBJECT_TYPES.values()]:
        assert label and not any(ch.isascii() and ch.isalpha() for ch in label), label
    assert len(set(ACTIONS.values())) == len(ACTIONS)
    assert len(set(OUTCOMES.values())) == len(OUTCOMES)


def test_record_refuses_an_undeclared_action_or_outcome(ctx):
    with pytest.raises(ValueError, match="portal/audit/actions.py"):
        record("claim.teleport")
    with pytest.raises(ValueError, match="undeclared audit outcome"):
        record("auth.login", outcome="maybe")
    assert db.session.scalar(db.select(AuditEvent)) is None


def test_in_service_an_undeclared_action_is_logged_and_kept(app, ctx, caplog):
    app.testing = False
    try:
        with caplog.at_level(logging.ERROR):
            event = record("claim.teleport")
    finally:
        app.testing = True
    assert "undeclared audit action 'claim.teleport'" in caplog.text
    assert event in db.session.new


@pytest.fixture
def declaration(make_professional, make_unit, make_submitted_declaration):
    person = make_professional(unit=make_unit(name="示范县第一中学"), name="王晓梅")
    return make_submitted_declaration(person, year=2025)


def test_objects_are_named_in_words(ctx, declaration):
    person = declaration.professional
    claim = declaration.claims[1]
    evidence = db.session.scalar(db.select(Evidence).filter_by(claim_id=claim.id))
    objection = Objection(declaration=declaration, name="某人", contact="1", content="有误")
    db.session.add(objection)
    db.session.flush()
    names = {
        "declaration": record("review.approved", declaration).object_name,
        "claim": record("review.claim_decided", claim).object_name,
        "evidence": record("evidence.add", evidence).object_name,
        "person": record("person.confirmed", person).object_name,
        "unit": record("unit.update", person.unit).object_name,
        "objection": record("objection.raised", objection).object_name,
    }
    assert names == {
        "declaration": "王晓梅 2025年度申报",
        "claim": "王晓梅 2025年度申报 第2项（网络课件学习）",
        "evidence": f"王晓梅 2025年度申报 证明材料“{evidence.original_name}”",
        "person": "王晓梅（示范县第一中学）",
        "unit": "示范县第一中学",
        "objection": "对王晓梅 2025年度申报的异议",
    }


def test_no_id_number_or_verification_code_in_names(ctx, make_registered_declaration, declaration):
    person = declaration.professional
    make_registered_declaration(person, 2024)
    user_event = record("auth.login", person.user)
    assert person.id_number not in user_event.object_name
    masked = person.id_number[:6] + "********" + person.id_number[-4:]
    assert user_event.object_name == f"{masked}（王晓梅）"
    printed = print_certificate(person.user, person)
    certificate = ensure_certificate(person)
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action.like("certificate.%"))
    ).all()
    assert [e.object_name for e in events] == [
        f"王晓梅 学时登记证书 {certificate.number}",
        f"王晓梅 学时登记证书 {certificate.number} 打印件",
    ]
    for event in events:
        assert printed.code not in event.object_name + event.detail
        assert person.id_number not in event.object_name + event.detail


def test_an_object_without_a_name_falls_back_to_its_type(ctx, make_user):
    class Gadget:
        id = 7

    assert record("demo.load", Gadget()).object_name == "gadget #7"
    user = make_user(Role.ADMIN, username="admin2", name="李四")
    assert record("user.unlock", user).object_name == "admin2（李四）"
    assert record("settings.update").object_name == ""
