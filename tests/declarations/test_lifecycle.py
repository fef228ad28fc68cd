"""The declaration lifecycle as a truth table: every (status, action, actor).

The expected moves are written out here by hand, from spec/domain.md ("Life of a declaration"),
not derived from portal.declarations.lifecycle.MOVES, so a row added to or lost from the table
fails this test.
"""

import ast
from pathlib import Path

import pytest

from portal.accounts.models import Role
from portal.declarations import lifecycle
from portal.declarations.lifecycle import Action
from portal.declarations.models import DeclarationStatus as S
from portal.refusal import Refusal
from portal.units.models import UnitType

ACTORS = ("owner", "stranger", "reviewer", "other_reviewer", "officer", "admin", "system")

# (from, action) -> (to, the actors who may make it)
EXPECTED = {
    (S.DRAFT, Action.EDIT): (S.DRAFT, {"owner"}),
    (S.DRAFT, Action.SUBMIT): (S.SUBMITTED, {"owner"}),
    # A prepared claim from a qualified list or courseware record (portal.providers).
    (S.DRAFT, Action.PREPARE): (S.DRAFT, {"reviewer", "other_reviewer", "officer", "system"}),
    (S.DRAFT, Action.ENTER_PAPER): (S.REGISTERED, {"reviewer", "officer"}),
    (S.SUBMITTED, Action.DECIDE): (S.SUBMITTED, {"reviewer"}),
    (S.SUBMITTED, Action.REQUEST_EVIDENCE): (S.NEEDS_EVIDENCE, {"reviewer"}),
    (S.SUBMITTED, Action.APPROVE): (S.APPROVED, {"reviewer"}),
    (S.SUBMITTED, Action.REJECT): (S.REJECTED, {"reviewer"}),
    (S.NEEDS_EVIDENCE, Action.ADD_EVIDENCE): (S.NEEDS_EVIDENCE, {"owner"}),
    (S.NEEDS_EVIDENCE, Action.RESUBMIT): (S.SUBMITTED, {"owner"}),
    (S.NEEDS_EVIDENCE, Action.DECIDE): (S.NEEDS_EVIDENCE, {"reviewer"}),
    (S.NEEDS_EVIDENCE, Action.REQUEST_EVIDENCE): (S.NEEDS_EVIDENCE, {"reviewer"}),
    (S.NEEDS_EVIDENCE, Action.APPROVE): (S.APPROVED, {"reviewer"}),
    (S.NEEDS_EVIDENCE, Action.REJECT): (S.REJECTED, {"reviewer"}),
    (S.APPROVED, Action.PUBLICISE): (S.PUBLICISED, {"officer"}),
    (S.PUBLICISED, Action.REGISTER): (S.REGISTERED, {"system", "officer"}),
    (S.PUBLICISED, Action.REVOKE): (S.REVOKED, {"officer"}),
    (S.PUBLICISED, Action.SEND_BACK): (S.SUBMITTED, {"officer"}),
}
# Who may make an action at all (in the state that allows it): decides 403/404 against 409.
ACTION_ACTORS = {action: actors for (_, action), (_, actors) in EXPECTED.items()}


@pytest.fixture
def world(make_unit, make_user, make_professional, make_submitted_declaration):
    unit, other_unit = make_unit(type=UnitType.INSTITUTION), make_unit(type=UnitType.INSTITUTION)
    person = make_professional(unit=unit)
    declaration = make_submitted_declaration(person)
    users = {
        "owner": person.user,
        "stranger": make_professional(unit=unit).user,
        "reviewer": make_user(Role.UNIT_REVIEWER, unit=unit),
        "other_reviewer": make_user(Role.UNIT_REVIEWER, unit=other_unit),
        "officer": make_user(Role.BUREAU_OFFICER),
        "admin": make_user(Role.ADMIN),
        "system": None,
    }
    return declaration, users


def test_the_table_is_the_expected_one():
    assert {key: (move.to,) for key, move in lifecycle.MOVES.items()} == {
        key: (to,) for key, (to, _) in EXPECTED.items()
    }


@pytest.mark.parametrize("status", list(S), ids=[s.value for s in S])
@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
def test_every_status_action_and_actor(world, status, action):
    declaration, users = world
    expected = EXPECTED.get((status, action))
    allowed_actors = ACTION_ACTORS[action]
    for actor in ACTORS:
        declaration.status = status  # the test sets the stage; services never do this
        user = users[actor]
        if expected is not None and actor in allowed_actors:
            lifecycle.transition(user, declaration, action)
            assert declaration.status is expected[0], actor
            continue
        with pytest.raises(Refusal) as refused:
            lifecycle.transition(user, declaration, action)
        assert declaration.status is status, actor
        if actor not in allowed_actors:
            # A reviewer's move asked by someone who may not review the person: as if it did
            # not exist; an owner's or the bureau's move by someone else: forbidden.
            reviewer_move = allowed_actors == {"reviewer"}
            assert refused.value.status == (404 if reviewer_move else 403), actor
        else:
            assert refused.value.status == 409 and refused.value.message, actor


def test_the_bureau_reviews_people_of_non_public_employers(make_unit, make_user,
                                                           make_professional,
                                                           make_submitted_declaration):  # fmt: skip
    person = make_professional(unit=make_unit(type=UnitType.PRIVATE_ENTERPRISE))
    declaration = make_submitted_declaration(person)
    unit_reviewer = make_user(Role.UNIT_REVIEWER, unit=person.unit)
    with pytest.raises(Refusal):
        lifecycle.transition(unit_reviewer, declaration, Action.APPROVE)
    lifecycle.transition(make_user(Role.BUREAU_OFFICER), declaration, Action.APPROVE)
    assert declaration.status is S.APPROVED


def test_no_status_is_assigned_outside_the_lifecycle():
    """`declaration.status = ...` (or status= when building a Declaration) only in lifecycle."""
    root = Path(__file__).resolve().parents[2] / "portal"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "lifecycle.py" and path.parent.name == "declarations":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    text = ast.unparse(node)
                    if "DeclarationStatus" in text or "declaration" in ast.unparse(target):
                        offenders.append(f"{path.relative_to(root)}:{node.lineno} {text}")
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).endswith("Declaration")
                and any(k.arg == "status" for k in node.keywords)
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node)}")
    assert offenders == []
