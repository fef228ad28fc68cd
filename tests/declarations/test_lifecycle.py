"""The declaration lifecycle as a truth table: every (status, action, actor).

The expected moves are written out here by hand, from spec/domain.md ("Life of a declaration"),
not derived from portal.declarations.lifecycle.MOVES, so a row added to or lost from the table
fails this test.
"""

import ast
from pathlib import Path

import pytest

from portal.accounts.models import PersonTitle, Role
from portal.declarations import lifecycle
from portal.declarations.lifecycle import Action
from portal.declarations.models import DeclarationStatus as S
from portal.extensions import db
from portal.refusal import Refusal
from portal.units.models import Authority, FirstReview, TitleLevel, TitleSeries, UnitType

ACTORS = ("owner", "stranger", "reviewer", "other_reviewer", "officer", "admin", "system")

# (from, action) -> (to, the actors who may make it)
EXPECTED = {
    (S.DRAFT, Action.EDIT): (S.DRAFT, {"owner"}),
    (S.DRAFT, Action.SUBMIT): (S.SUBMITTED, {"owner"}),
    # A prepared claim from a qualified list or courseware record (portal.providers).
    (S.DRAFT, Action.PREPARE): (S.DRAFT, {"reviewer", "other_reviewer", "officer", "system"}),
    (S.DRAFT, Action.ENTER_PAPER): (S.REGISTERED, {"reviewer", "officer"}),
    # A year registered by another county, from its exchange file (portal.exchange.imports).
    (S.DRAFT, Action.IMPORT_ELSEWHERE): (S.REGISTERED, {"system", "officer"}),
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
# The person's reviewer passes the actor check of pass_professional, which a one-step
# declaration never allows (409).
ACTION_ACTORS = {action: actors for (_, action), (_, actors) in EXPECTED.items()} | {
    Action.PASS_PROFESSIONAL: {"reviewer"},
    Action.PREPARE: {
        "reviewer",
        "other_reviewer",
        "officer",
        "system",
        "authority",
        "other_authority",
    },
}

# The two-step review (seed 003 五; setting TWO_STEP_REVIEW, fixed on the declaration at
# submission), for a person whose title series the authority owns: the authority checks the
# professional claims, then the bureau the general claims and the total.
EXPECTED_TWO_STEP = {
    (S.DRAFT, Action.EDIT): (S.DRAFT, {"owner"}),
    (S.DRAFT, Action.SUBMIT): (S.SUBMITTED, {"owner"}),
    # Authorities report the qualified lists of the trainings they file themselves.
    (S.DRAFT, Action.PREPARE): (
        S.DRAFT,
        {"reviewer", "other_reviewer", "officer", "system", "authority", "other_authority"},
    ),
    (S.DRAFT, Action.ENTER_PAPER): (S.REGISTERED, {"reviewer", "officer"}),
    # A year registered by another county, from its exchange file (portal.exchange.imports).
    (S.DRAFT, Action.IMPORT_ELSEWHERE): (S.REGISTERED, {"system", "officer"}),
    (S.SUBMITTED, Action.DECIDE): (S.SUBMITTED, {"authority"}),
    (S.SUBMITTED, Action.REQUEST_EVIDENCE): (S.NEEDS_EVIDENCE, {"authority"}),
    (S.SUBMITTED, Action.PASS_PROFESSIONAL): (S.PROFESSIONAL_CHECKED, {"authority"}),
    (S.SUBMITTED, Action.REJECT): (S.REJECTED, {"authority"}),
    (S.NEEDS_EVIDENCE, Action.ADD_EVIDENCE): (S.NEEDS_EVIDENCE, {"owner"}),
    (S.NEEDS_EVIDENCE, Action.RESUBMIT): (S.SUBMITTED, {"owner"}),
    (S.NEEDS_EVIDENCE, Action.DECIDE): (S.NEEDS_EVIDENCE, {"authority"}),
    (S.NEEDS_EVIDENCE, Action.REQUEST_EVIDENCE): (S.NEEDS_EVIDENCE, {"authority"}),
    (S.NEEDS_EVIDENCE, Action.PASS_PROFESSIONAL): (S.PROFESSIONAL_CHECKED, {"authority"}),
    (S.NEEDS_EVIDENCE, Action.REJECT): (S.REJECTED, {"authority"}),
    (S.PROFESSIONAL_CHECKED, Action.DECIDE): (S.PROFESSIONAL_CHECKED, {"officer"}),
    (S.PROFESSIONAL_CHECKED, Action.REQUEST_EVIDENCE): (S.NEEDS_EVIDENCE, {"officer"}),
    (S.PROFESSIONAL_CHECKED, Action.APPROVE): (S.APPROVED, {"officer"}),
    (S.PROFESSIONAL_CHECKED, Action.REJECT): (S.REJECTED, {"officer"}),
    (S.APPROVED, Action.PUBLICISE): (S.PUBLICISED, {"officer"}),
    (S.PUBLICISED, Action.REGISTER): (S.REGISTERED, {"system", "officer"}),
    (S.PUBLICISED, Action.REVOKE): (S.REVOKED, {"officer"}),
    (S.PUBLICISED, Action.SEND_BACK): (S.SUBMITTED, {"officer"}),
}
TWO_STEP_ACTORS = (*ACTORS, "authority", "other_authority")
REVIEW_ACTIONS = {
    Action.DECIDE,
    Action.REQUEST_EVIDENCE,
    Action.APPROVE,
    Action.REJECT,
    Action.PASS_PROFESSIONAL,
}
STEP_REVIEWERS = {"authority", "officer"}  # a reviewer of either step: 409 when not its turn


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
    one_step = {k: m.to for k, m in lifecycle.MOVES.items() if m.steps in (None, 1)}
    two_step = {k: m.to for k, m in lifecycle.MOVES.items() if m.steps in (None, 2)}
    assert one_step == {key: to for key, (to, _) in EXPECTED.items()}
    assert two_step == {key: to for key, (to, _) in EXPECTED_TWO_STEP.items()}


@pytest.fixture
def two_step_world(world, make_user, make_professional, make_submitted_declaration):
    """The one-step world's person, with a title of a series the authority owns, and a
    declaration reviewed in two steps."""
    declaration, users = world
    authority, other = Authority(name="市教体局"), Authority(name="市卫健委")
    series = TitleSeries(name="中小学教师", authority=authority)
    person = declaration.professional
    db.session.add(PersonTitle(professional=person, series=series, level=TitleLevel.INTERMEDIATE))
    db.session.commit()
    declaration.first_step = FirstReview.AUTHORITY
    declaration.first_step_authority_id = authority.id
    users = users | {
        "authority": make_user(Role.AUTHORITY_OFFICER, authority=authority),
        "other_authority": make_user(Role.AUTHORITY_OFFICER, authority=other),
    }
    return declaration, users


@pytest.mark.parametrize("status", list(S), ids=[s.value for s in S])
@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
def test_every_status_action_and_actor_in_two_steps(two_step_world, status, action):
    declaration, users = two_step_world
    expected = EXPECTED_TWO_STEP.get((status, action))
    for actor in TWO_STEP_ACTORS:
        declaration.status = status  # the test sets the stage; services never do this
        user = users[actor]
        if expected is not None and actor in expected[1]:
            lifecycle.transition(user, declaration, action)
            assert declaration.status is expected[0], actor
            continue
        with pytest.raises(Refusal) as refused:
            lifecycle.transition(user, declaration, action)
        assert declaration.status is status, actor
        if action in REVIEW_ACTIONS:
            # The unit, another authority, anybody else: as if it did not exist; a reviewer
            # of the other step (or of this one, in the wrong state): not now.
            assert refused.value.status == (409 if actor in STEP_REVIEWERS else 404), actor
        else:
            assert refused.value.status == (409 if actor in ACTION_ACTORS[action] else 403), actor
        assert refused.value.message, actor


def test_the_bureau_step_cannot_come_before_the_first(two_step_world):
    declaration, users = two_step_world
    for action in (Action.APPROVE, Action.DECIDE, Action.REJECT, Action.PASS_PROFESSIONAL):
        with pytest.raises(Refusal) as refused:
            lifecycle.transition(users["officer"], declaration, action)
        assert refused.value.status == 409
        assert (
            refused.value.message
            == "专业科目须先由市教体局核验通过，县人社局才能核验公需科目和总学时。"
        )
    lifecycle.transition(users["authority"], declaration, Action.PASS_PROFESSIONAL)
    with pytest.raises(Refusal) as refused:
        lifecycle.transition(users["authority"], declaration, Action.APPROVE)
    assert refused.value.message == "专业科目已核验通过，公需科目和总学时由县人社局核验。"
    lifecycle.transition(users["officer"], declaration, Action.APPROVE)
    assert declaration.status is S.APPROVED


def test_a_series_checked_by_the_unit_has_its_unit_first(two_step_world):
    declaration, users = two_step_world
    declaration.first_step, declaration.first_step_authority_id = FirstReview.UNIT, None
    with pytest.raises(Refusal) as refused:
        lifecycle.transition(users["authority"], declaration, Action.PASS_PROFESSIONAL)
    assert refused.value.status == 404
    lifecycle.transition(users["reviewer"], declaration, Action.PASS_PROFESSIONAL)
    with pytest.raises(Refusal) as refused:
        lifecycle.transition(users["reviewer"], declaration, Action.APPROVE)
    assert refused.value.status == 409
    lifecycle.transition(users["officer"], declaration, Action.APPROVE)
    assert declaration.status is S.APPROVED


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


def test_a_unit_publicises_what_it_approved_when_the_bureau_allows_it(world):
    from portal.declarations.models import ReviewingBody
    from portal.settings import set_setting

    declaration, users = world
    declaration.status = S.APPROVED
    declaration.reviewer, declaration.reviewing_body = users["reviewer"], ReviewingBody.UNIT
    declaration.unit_id = declaration.professional.unit_id
    with pytest.raises(Refusal) as refused:  # off by default (the table above)
        lifecycle.transition(users["reviewer"], declaration, Action.PUBLICISE)
    assert refused.value.status == 403
    set_setting("UNIT_PUBLICITY", True)
    for actor in ("other_reviewer", "owner", "admin"):
        with pytest.raises(Refusal) as refused:
            lifecycle.transition(users[actor], declaration, Action.PUBLICISE)
        assert refused.value.status == 403, actor
    declaration.reviewer = users["officer"]  # approved by the bureau: not the unit's to show
    with pytest.raises(Refusal):
        lifecycle.transition(users["reviewer"], declaration, Action.PUBLICISE)
    declaration.reviewer = users["reviewer"]
    lifecycle.transition(users["reviewer"], declaration, Action.PUBLICISE)
    assert declaration.status is S.PUBLICISED
