"""The life of a declaration: one table of allowed moves and one `transition()`.

Nothing else assigns `Declaration.status`. A move is `(status, action) -> status`, made by one
kind of actor:

| from            | action           | to              | who                                      |
|-----------------|------------------|-----------------|------------------------------------------|
| draft           | edit             | draft           | the owner (claims, evidence, rule set)   |
| draft           | submit           | submitted       | the owner                                |
| draft           | prepare          | draft           | a reporter: a provider, unit reviewer,   |
|                 |                  |                 | authority officer or bureau officer (or  |
|                 |                  |                 | the CLI) adding a prepared claim from a  |
|                 |                  |                 | list or record                           |
| draft           | enter_paper      | registered      | the bureau, or the person's unit reviewer |
| draft           | import_elsewhere | registered      | the bureau's import (CLI or officer): a   |
|                 |                  |                 | year registered by another county         |
| submitted       | decide           | submitted       | the person's reviewer (claim by claim)   |
| submitted       | request_evidence | needs_evidence  | the person's reviewer                    |
| submitted       | approve          | approved        | the person's reviewer                    |
| submitted       | reject           | rejected        | the person's reviewer                    |
| needs_evidence  | add_evidence     | needs_evidence  | the owner (files only, 004 第二十一条3)   |
| needs_evidence  | resubmit         | submitted       | the owner                                |
| needs_evidence  | decide           | needs_evidence  | the person's reviewer                    |
| needs_evidence  | request_evidence | needs_evidence  | the person's reviewer                    |
| needs_evidence  | approve          | approved        | the person's reviewer                    |
| needs_evidence  | reject           | rejected        | the person's reviewer                    |
| approved        | publicise        | publicised      | a bureau officer (or, when the bureau    |
|                 |                  |                 | allows it, the unit that approved it)    |
| publicised      | register         | registered      | the system (period over), or the bureau  |
| publicised      | revoke           | revoked         | a bureau officer (objection upheld)      |
| publicised      | send_back        | submitted       | a bureau officer (objection upheld)      |

Two-step review (a bureau setting, seed 003 五; fixed on the declaration at submission): the
rows marked "1" are for one-step declarations only, those marked "2" for two-step ones only.

| from                 | action            | to                   | steps | who                        |
|----------------------|-------------------|----------------------|-------|----------------------------|
| submitted            | approve           | approved             | 1     | the person's reviewer      |
| needs_evidence       | approve           | approved             | 1     | the person's reviewer      |
| submitted            | pass_professional | professional_checked | 2     | the first step's reviewer  |
| needs_evidence       | pass_professional | professional_checked | 2     | the first step's reviewer  |
| professional_checked | decide            | professional_checked | 2     | the bureau (second step)   |
| professional_checked | request_evidence  | needs_evidence       | 2     | the bureau (second step)   |
| professional_checked | approve           | approved             | 2     | the bureau (second step)   |
| professional_checked | reject            | rejected             | 2     | the bureau (second step)   |

In a two-step declaration, submitted and needs_evidence are the first step: its reviewer (the
authority owning the person's title series, or the person's reviewer as the series says)
decides the professional claims and passes them, asks for evidence or rejects; then the bureau
decides the general claims and approves the total. A reviewer of the other step gets 409 (the
step is not theirs yet, or no more); evidence asked for in the second step sends the
declaration through both steps again.

`import_elsewhere` records a year registered by another county of the province, from its
exchange file (portal.exchange.imports): made as a draft and moved at once, like a paper year.

`enter_paper` records a year from before the portal from its paper 继续教育证书: the service
(portal.declarations.paper) creates the row as a paper draft and moves it at once, so a paper
year is registered from the start and never reviewed or publicised again.

The person's reviewer is the unit's reviewer for state-owned units and organs, the bureau for
non-public employers, social organisations and freelancers (portal.accounts.permissions).
Rejected, registered and revoked are final. A refused move raises `Refusal`: 403 or 404 for the
wrong actor (404 where the actor may not even see the person), 409 for the wrong state, with
the refusal audited under the caller's action name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from portal.accounts.models import Role, User
from portal.accounts.permissions import (
    can_publicise,
    can_review,
    reviews_declaration,
    reviews_first_step,
    reviews_now,
)
from portal.declarations.models import Declaration
from portal.declarations.models import DeclarationStatus as S
from portal.refusal import CONFLICT, FORBIDDEN, NOT_FOUND, Refusal


class Actor(enum.StrEnum):
    OWNER = "owner"
    REVIEWER = "reviewer"
    BUREAU = "bureau"
    SYSTEM = "system"  # the scheduled close; a bureau officer may run it by hand
    REPORTER = (
        "reporter"  # who reports trainees: a provider, a unit, an authority, the bureau, a CLI
    )
    RECORDS = "records"  # who keeps the person's record: the bureau, or the unit's reviewer
    PUBLISHER = "publisher"  # the bureau; the unit that approved it when the bureau allows


class Action(enum.StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    PREPARE = "prepare"
    DECIDE = "decide"
    REQUEST_EVIDENCE = "request_evidence"
    APPROVE = "approve"
    REJECT = "reject"
    ADD_EVIDENCE = "add_evidence"
    RESUBMIT = "resubmit"
    PUBLICISE = "publicise"
    REGISTER = "register"
    REVOKE = "revoke"
    SEND_BACK = "send_back"
    ENTER_PAPER = "enter_paper"
    PASS_PROFESSIONAL = "pass_professional"  # nosec B105 (an action name, not a password)
    IMPORT_ELSEWHERE = "import_elsewhere"


ONE_STEP, TWO_STEP = 1, 2


@dataclass(frozen=True)
class Move:
    to: S
    actor: Actor
    steps: int | None = None  # ONE_STEP or TWO_STEP declarations only; None: both

    def applies_to(self, declaration: Declaration) -> bool:
        return self.steps is None or self.steps == steps_of(declaration)


def steps_of(declaration: Declaration) -> int:
    return TWO_STEP if declaration.first_step is not None else ONE_STEP


_REVIEW = {
    Action.DECIDE: None,  # stays where it is
    Action.REQUEST_EVIDENCE: S.NEEDS_EVIDENCE,
    Action.APPROVE: S.APPROVED,
    Action.REJECT: S.REJECTED,
}

MOVES: dict[tuple[S, Action], Move] = {
    (S.DRAFT, Action.EDIT): Move(S.DRAFT, Actor.OWNER),
    (S.DRAFT, Action.SUBMIT): Move(S.SUBMITTED, Actor.OWNER),
    (S.DRAFT, Action.PREPARE): Move(S.DRAFT, Actor.REPORTER),
    (S.DRAFT, Action.ENTER_PAPER): Move(S.REGISTERED, Actor.RECORDS),
    (S.DRAFT, Action.IMPORT_ELSEWHERE): Move(S.REGISTERED, Actor.SYSTEM),
    **{
        (status, action): Move(
            to or status, Actor.REVIEWER, ONE_STEP if action is Action.APPROVE else None
        )
        for status in (S.SUBMITTED, S.NEEDS_EVIDENCE)
        for action, to in _REVIEW.items()
    },
    (S.SUBMITTED, Action.PASS_PROFESSIONAL): Move(S.PROFESSIONAL_CHECKED, Actor.REVIEWER, TWO_STEP),
    (S.NEEDS_EVIDENCE, Action.PASS_PROFESSIONAL): Move(
        S.PROFESSIONAL_CHECKED, Actor.REVIEWER, TWO_STEP
    ),
    **{
        (S.PROFESSIONAL_CHECKED, action): Move(
            to or S.PROFESSIONAL_CHECKED, Actor.REVIEWER, TWO_STEP
        )
        for action, to in _REVIEW.items()
    },
    (S.NEEDS_EVIDENCE, Action.ADD_EVIDENCE): Move(S.NEEDS_EVIDENCE, Actor.OWNER),
    (S.NEEDS_EVIDENCE, Action.RESUBMIT): Move(S.SUBMITTED, Actor.OWNER),
    (S.APPROVED, Action.PUBLICISE): Move(S.PUBLICISED, Actor.PUBLISHER),
    (S.PUBLICISED, Action.REGISTER): Move(S.REGISTERED, Actor.SYSTEM),
    (S.PUBLICISED, Action.REVOKE): Move(S.REVOKED, Actor.BUREAU),
    (S.PUBLICISED, Action.SEND_BACK): Move(S.SUBMITTED, Actor.BUREAU),
}

LOCKED_MESSAGE = "申报已提交，申报条目不能再修改、删除或增加（申报提交后不予修改、撤销）。"

# Why an action is refused in a state that has no row for it.
_STATE_MESSAGES = {
    Action.EDIT: LOCKED_MESSAGE,
    Action.SUBMIT: "该申报已提交，不能重复提交。",
    Action.PREPARE: "该人员本年度申报已提交，报送条目不能再加入。",
    Action.ENTER_PAPER: "该年度已有申报记录，不能再录入纸质证书。",
    Action.IMPORT_ELSEWHERE: "该年度已有申报记录，不能再导入外县（市）登记的年度。",
    Action.ADD_EVIDENCE: "只有核验人员要求补充材料时才能在提交后上传文件。",
    Action.RESUBMIT: "只有待补充材料的申报可以再次提交。",
    Action.PUBLICISE: "该申报已不是“核验通过”状态或已在其他公示批次中，请刷新后重选。",
}


FIRST_STEP_PENDING = "专业科目须先由{body}核验通过，{second}才能核验公需科目和总学时。"
FIRST_STEP_DONE = "专业科目已核验通过，公需科目和总学时由人社局核验。"
CITY_STEP = (
    "该人员本年度持有副高以上职称，公需科目和总学时由市人社局核验"
    "（淮人社秘〔2025〕144号 五（二）：高级职称专业技术人员公需科目和总学时审验，由市人社局盖章确认），"
    "县人社局不能办理。"
)


def _other_step_message(user: User | None, declaration: Declaration) -> str:
    """Why a reviewer of the other step may not act now (or ever, for the county on a senior
    holder's year)."""
    county = user is not None and user.role is Role.BUREAU_OFFICER
    if declaration.second_step_city and county and not reviews_first_step(user, declaration):
        return CITY_STEP
    if declaration.status is not S.PROFESSIONAL_CHECKED:
        return FIRST_STEP_PENDING.format(
            body=declaration.first_step_label, second=declaration.second_step_label
        )
    return FIRST_STEP_DONE.replace("人社局", declaration.second_step_label)


def _state_message(declaration: Declaration, action: Action) -> str:
    if action in _STATE_MESSAGES:
        return _STATE_MESSAGES[action]
    first_step = declaration.status in (S.SUBMITTED, S.NEEDS_EVIDENCE)
    if declaration.two_step and first_step and action is Action.APPROVE:
        return _other_step_message(None, declaration)
    if action is Action.PASS_PROFESSIONAL and not declaration.two_step:
        return "该申报按一步核验办理，没有单独的专业科目核验。"
    label = declaration.status.label
    if action in _REVIEW or action is Action.PASS_PROFESSIONAL:
        return f"该申报当前状态为“{label}”，不能再核验。"
    return f"该记录当前状态为“{label}”，不能再变更。"


def may_act(user: User | None, declaration: Declaration, actor: Actor) -> bool:
    """Is this user the kind of actor the move needs?"""
    if actor is Actor.SYSTEM:
        return user is None or user.role is Role.BUREAU_OFFICER
    if actor is Actor.REPORTER:  # which plan or record is the caller's is checked by it
        return user is None or user.role in (
            Role.PROVIDER,
            Role.UNIT_REVIEWER,
            Role.AUTHORITY_OFFICER,  # for the lists of its own trainings
            Role.BUREAU_OFFICER,
        )
    if user is None or not user.is_authenticated or not user.active:
        return False
    if actor is Actor.OWNER:
        return declaration.professional.user_id == user.id
    if actor is Actor.REVIEWER:  # of either step; whose turn it is is checked after the state
        return reviews_declaration(user, declaration)
    if actor is Actor.RECORDS:
        return user.role is Role.BUREAU_OFFICER or can_review(user, declaration.professional)
    if actor is Actor.PUBLISHER:
        return can_publicise(user, declaration)
    return user.role is Role.BUREAU_OFFICER


def _actor_refusal(user: User | None, declaration: Declaration, actor: Actor) -> Refusal:
    if actor is Actor.OWNER:
        return Refusal("只能修改本人的申报。", FORBIDDEN)
    if actor is Actor.REPORTER:
        return Refusal("只有施教机构、单位、行业主管部门或人社局可以报送条目。", FORBIDDEN)
    if actor is Actor.REVIEWER:
        # A person one may not review is a person one may not see: never say they exist.
        return Refusal("您要找的申报不存在或您无权查看。", NOT_FOUND)
    if actor is Actor.RECORDS:
        return Refusal("只有人社局或人员所在单位可以录入纸质证书年度。", FORBIDDEN)
    if actor is Actor.PUBLISHER:
        return Refusal(
            "只有人社局经办人，或经人社局允许的本单位经办人（限本单位核验通过的本单位人员）"
            "可以公示。",
            FORBIDDEN,
        )
    return Refusal("只有人社局经办人可以办理此事项。", FORBIDDEN)


def allowed_in(status: S, action: Action, steps: int | None = None) -> bool:
    """Does this state allow the action (whoever asks), for declarations reviewed in `steps`
    steps (None: in either)?"""
    move = MOVES.get((status, action))
    return move is not None and (steps is None or move.steps in (None, steps))


def check(
    user: User | None,
    declaration: Declaration,
    action: Action,
    *,
    audit_as: str | None = None,
    obj=None,
) -> Move:
    """The move the action makes, or a Refusal: the actor first, then the state (audited as
    `audit_as` when the state refuses)."""
    actor = next((m.actor for (_, a), m in MOVES.items() if a is action), None)
    if actor is None:
        raise ValueError(f"unknown action {action}")
    if not may_act(user, declaration, actor):
        raise _actor_refusal(user, declaration, actor)
    move = MOVES.get((declaration.status, action))
    if move is None or not move.applies_to(declaration):
        raise Refusal(
            _state_message(declaration, action),
            CONFLICT,
            action=audit_as,
            obj=obj if obj is not None else declaration,
            user=user,
        )
    if move.actor is Actor.REVIEWER and not reviews_now(user, declaration):
        # A reviewer of the other step of a two-step review: not their turn (yet, or any more).
        raise Refusal(
            _other_step_message(user, declaration),
            CONFLICT,
            action=audit_as,
            obj=obj if obj is not None else declaration,
            user=user,
        )
    return move


def transition(
    user: User | None,
    declaration: Declaration,
    action: Action,
    *,
    audit_as: str | None = None,
    obj=None,
) -> Declaration:
    """Make the move (checked as in `check`); the one place a declaration's status changes."""
    move = check(user, declaration, action, audit_as=audit_as, obj=obj)
    declaration.status = move.to
    return declaration
