"""Declaration operations. Each takes the acting user, changes the session, flushes, audits,
and never commits (the request does).

The server, not the page, guards 004 第二十一条3 (申报提交后不予修改、撤销): every operation that
changes claims or their evidence asks the lifecycle (portal.declarations.lifecycle), which
allows edits only to the owner's draft; the one exception is adding evidence files while a
reviewer asks for more (NEEDS_EVIDENCE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import rules
from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.accounts.permissions import (
    bureau_officers,
    can_view_declaration,
    first_step_reviewers,
    submitted_reviewers,
)
from portal.audit.service import record
from portal.clock import current_year
from portal.declarations import duplicates, lifecycle
from portal.declarations import evidence as files
from portal.declarations.lifecycle import Action
from portal.declarations.models import (
    Claim,
    Declaration,
    DeclarationStatus,
    Evidence,
    LateYear,
    ReviewingBody,
)
from portal.extensions import db
from portal.models_base import utcnow
from portal.notifications.service import notify, notify_each
from portal.refusal import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Refusal
from portal.settings import get_setting
from portal.units.models import FirstReview, TitleLevel

# --- years and rule sets -----------------------------------------------------------------


def openable_years(now: datetime | None = None, person: Professional | None = None) -> list[int]:
    """A draft may be opened for the current and the previous calendar year, and for the past
    years the bureau opened for this person (补登记)."""
    year = current_year(now)
    years = [year, year - 1]
    if person is not None and person.id is not None:
        late = db.session.scalars(
            sa.select(LateYear.year)
            .where(LateYear.professional_id == person.id)
            .order_by(LateYear.year.desc())
        )
        years.extend(y for y in late if y not in years)
    return years


def late_years(person: Professional) -> list[LateYear]:
    return list(
        db.session.scalars(
            sa.select(LateYear).where(LateYear.professional_id == person.id).order_by(LateYear.year)
        )
    )


def open_late_year(actor: User, person: Professional, year: int, note: str = "") -> LateYear:
    """补登记: the bureau opens a past year for one person, who declares it as any year."""
    if actor.role is not Role.BUREAU_OFFICER:
        raise Refusal("只有人社局经办人可以开放补登记年度。", FORBIDDEN)
    normal = openable_years()
    if year in normal:
        raise Refusal(f"{year}年度本人即可申报，无需补登记。", INVALID, field="year")
    if not 2000 <= year < min(normal):
        raise Refusal(f"补登记年度应为2000年至{min(normal) - 1}年。", INVALID, field="year")
    taken = db.session.scalar(
        sa.select(Declaration.status).where(
            Declaration.professional_id == person.id, Declaration.year == year
        )
    )
    if taken is not None:
        raise Refusal(f"{year}年度已有申报记录（{taken.label}）。", CONFLICT, field="year")
    if db.session.scalar(sa.select(LateYear.id).filter_by(professional_id=person.id, year=year)):
        raise Refusal(f"{year}年度已开放补登记。", CONFLICT, field="year")
    late = LateYear(
        professional=person, year=year, note=(note or "").strip()[:200], opened_by=actor
    )
    db.session.add(late)
    db.session.flush()
    record("declaration.late_opened", late, user=actor, detail=late.note)
    return late


def transition_enabled() -> bool:
    return bool(get_setting("ALLOW_TRANSITION_RULE_SET"))


def may_elect_old_rules(person: Professional) -> bool:
    """Seed 003 (新人新办法、老人老办法): while the transition is on, only people the bureau marked
    as keeping the old rules may elect them."""
    return transition_enabled() and person.keeps_old_rules


def electable_rule_sets(year: int, person: Professional) -> list[rules.RuleSet]:
    """The rule sets this person's declaration of this year may use (the default first)."""
    default = rules.rule_set_for_year(year)
    found = [default]
    if may_elect_old_rules(person):
        for rule_set_id in rules.rule_set_ids():
            if rule_set_id == default.id:
                continue
            try:
                found.append(rules.rule_set_for_year(year, rule_set_id, allow_transition=True))
            except rules.RuleError:
                continue
    return found


def can_view_evidence(user: User, declaration: Declaration) -> bool:
    """The person's own files always; their reviewers and the bureau only once submitted: a
    draft is work in progress that nobody has been asked to look at."""
    if not can_view_declaration(user, declaration):
        return False
    return user.role is Role.PROFESSIONAL or declaration.status is not DeclarationStatus.DRAFT


def can_switch_rule_set(declaration: Declaration) -> bool:
    """Switching is safe only on an empty draft (the claims' kinds belong to one rule set)."""
    return (
        declaration.status is DeclarationStatus.DRAFT
        and not declaration.claims
        and len(electable_rule_sets(declaration.year, declaration.professional)) > 1
    )


def rule_set_of(declaration: Declaration) -> rules.RuleSet:
    return rules.get_rule_set(declaration.rule_set)


def kind_words(declaration: Declaration, kind: str) -> str:
    """A claim kind's name in the declaration's rule set (the code if the set lacks it)."""
    try:
        return rule_set_of(declaration).kind(kind).label
    except rules.RuleError:
        return kind


def rule_set_words(rule_set_id: str) -> str:
    """A rule set's name for the audit log an officer reads (the id if it is unknown)."""
    try:
        return rules.get_rule_set(rule_set_id).name
    except rules.RuleError:
        return rule_set_id


# --- lookups and guards --------------------------------------------------------------------


def person_of(user: User):
    person = getattr(user, "professional", None)
    if person is None:
        raise Refusal("当前账号没有关联的专业技术人员信息。", FORBIDDEN)
    return person


def own_declarations(user: User) -> list[Declaration]:
    person = person_of(user)
    # The list evaluates every year: its claims and files come with it, not a year at a time.
    return list(
        db.session.scalars(
            sa.select(Declaration)
            .where(Declaration.professional_id == person.id)
            .order_by(Declaration.year.desc())
            .options(selectinload(Declaration.claims).selectinload(Claim.evidence))
        )
    )


def own_declaration(user: User, year: int) -> Declaration | None:
    person = person_of(user)
    # The page shows every claim with its files: load them with it, not one claim at a time.
    return db.session.scalar(
        sa.select(Declaration)
        .where(Declaration.professional_id == person.id, Declaration.year == year)
        .options(selectinload(Declaration.claims).selectinload(Claim.evidence))
    )


def declaration_of(person, year: int) -> Declaration | None:
    return db.session.scalar(
        sa.select(Declaration).where(
            Declaration.professional_id == person.id, Declaration.year == year
        )
    )


def ensure_draft(user: User, declaration: Declaration, action: str, obj=None) -> None:
    """Refuse (403 for someone else's, 409 audited as `action` once submitted) any change to a
    declaration that is not the person's draft."""
    lifecycle.check(user, declaration, Action.EDIT, audit_as=action, obj=obj)


# --- opening and the rule set ------------------------------------------------------------


def open_declaration(user: User, year: int, rule_set: str | None = None) -> Declaration:
    """This year's (or last year's) draft, created when missing; an existing one is returned."""
    person = person_of(user)
    existing = own_declaration(user, year)
    if existing is not None:
        return existing
    if year not in openable_years(person=person):
        raise Refusal(f"{year}年度不在可申报的年度范围内。", INVALID)
    try:
        chosen = rules.rule_set_for_year(
            year, rule_set, allow_transition=may_elect_old_rules(person)
        )
    except rules.RuleError as error:
        raise Refusal(error.message, INVALID) from None
    declaration = Declaration(professional=person, year=year, rule_set=chosen.id)
    db.session.add(declaration)
    db.session.flush()
    record("declaration.open", declaration, detail=f"{year}年度，{chosen.name}", user=user)
    return declaration


def switch_rule_set(user: User, declaration: Declaration, rule_set_id: str) -> Declaration:
    ensure_draft(user, declaration, "declaration.rule_set")
    if declaration.claims:
        raise Refusal("已有申报条目时不能更换认定规则，请先删除全部条目。", CONFLICT)
    try:
        chosen = rules.rule_set_for_year(
            declaration.year,
            rule_set_id,
            allow_transition=may_elect_old_rules(declaration.professional),
        )
    except rules.RuleError as error:
        raise Refusal(error.message, INVALID) from None
    old, declaration.rule_set = declaration.rule_set, chosen.id
    db.session.flush()
    detail = f"{rule_set_words(old)} → {chosen.name}"
    record("declaration.rule_set", declaration, detail=detail, user=user)
    return declaration


# --- claims ------------------------------------------------------------------------------


def _checked(
    declaration: Declaration, kind_id: str, facts: dict, details: dict, subject: str | None
) -> tuple[rules.KindSpec, rules.ClaimResult, str]:
    """Validate with the engine (raises rules.RuleError naming the fact)."""
    rule_set = rule_set_of(declaration)
    kind = rule_set.kind(kind_id)
    subject = kind.subject or subject
    result = rules.evaluate_claim(
        rule_set,
        rules.Claim(kind=kind_id, facts=facts, subject=subject, details=details),
        year=declaration.year,
        require_subject=True,
    )
    return kind, result, result.subject


def _clean_details(kind: rules.KindSpec, details: dict) -> dict:
    return {k: str(details[k]).strip() for k in kind.details if details.get(k) not in (None, "")}


def add_claim(
    user: User,
    declaration: Declaration,
    kind: str,
    facts: dict,
    details: dict,
    subject: str | None = None,
) -> Claim:
    ensure_draft(user, declaration, "claim.add")
    spec, result, subject = _checked(declaration, kind, facts, details, subject)
    details = _clean_details(spec, details)
    position = max((c.position for c in declaration.claims), default=0) + 1
    claim = Claim(
        declaration=declaration,
        position=position,
        kind=kind,
        subject=subject,
        facts=dict(result.facts),
        details=details,
        identity=duplicates.identity_of(spec, details),
        title_key=duplicates.title_key_of(spec, details),
        hours=result.hours,
        full_year=result.full_year,
        clause=result.clause,
    )
    db.session.add(claim)
    db.session.flush()
    evaluate(declaration)
    record(
        "claim.add",
        claim,
        detail=f"{declaration.year}年度 {claim.kind_label} {result.hours}学时",
        user=user,
    )
    return claim


PREPARED_LOCKED = "报送条目的学时和科目由施教机构报送，不能修改；如不需要可以放弃该条目。"


def _refuse_prepared(claim: Claim) -> None:
    if claim.prepared:
        raise Refusal(PREPARED_LOCKED, CONFLICT)


def rule_sets_of(person_ids: list[int], year: int) -> dict[int, str]:
    """The rule set of each person's declaration of the year: the year's default when none."""
    default = rules.rule_set_for_year(year).id
    found = dict.fromkeys(person_ids, default)
    ids = sorted(set(person_ids))
    for i in range(0, len(ids), 500):
        found.update(
            db.session.execute(
                sa.select(Declaration.professional_id, Declaration.rule_set).where(
                    Declaration.professional_id.in_(ids[i : i + 500]), Declaration.year == year
                )
            ).all()
        )
    return found


@dataclass
class Prepared:
    """One prepared claim (报送条目) asked for: a list row or courseware record's person."""

    person: object
    year: int
    kind: str
    facts: dict
    details: dict
    subject: str
    source: str
    plan_id: int | None = None
    claim: Claim | None = None  # the outcome: the claim made,
    refusal: Refusal | None = None  # or why not (409: the year is submitted; 422: no such kind)


def prepare_claims(actor: User | None, asked: list[Prepared]) -> list[Prepared]:
    """Prepared claims in the people's drafts of those years (opened when missing), in bulk: a
    5,000-row list costs a few queries and two flushes. Each item gets its claim or refusal.

    The caller checks that the list or record is its own; the lifecycle checks that the actor is
    a reporter and each declaration still a draft (PREPARE). The year's totals are evaluated when
    the person or the reviewer looks. Audited on the declaration (claim.prepare)."""
    keys = {(item.person.id, item.year) for item in asked}
    found: dict[tuple[int, int], Declaration] = {}
    person_ids = sorted({pid for pid, _ in keys})
    for i in range(0, len(person_ids), 500):
        rows = db.session.scalars(
            sa.select(Declaration).where(
                Declaration.professional_id.in_(person_ids[i : i + 500]),
                Declaration.year.in_(sorted({year for _, year in keys})),
            )
        )
        found.update({(d.professional_id, d.year): d for d in rows})
    opened = []
    for item in asked:
        key = (item.person.id, item.year)
        if key not in found:
            chosen = rules.rule_set_for_year(item.year)
            found[key] = Declaration(professional=item.person, year=item.year, rule_set=chosen.id)
            db.session.add(found[key])
            opened.append(found[key])
    db.session.flush()
    for declaration in opened:
        detail = f"{declaration.year}年度，{rule_set_words(declaration.rule_set)}（报送）"
        record("declaration.open", declaration, detail=detail, user=actor)
    positions = (
        dict(
            db.session.execute(
                sa.select(Claim.declaration_id, sa.func.max(Claim.position))
                .where(Claim.declaration_id.in_([d.id for d in found.values()]))
                .group_by(Claim.declaration_id)
            ).all()
        )
        if found
        else {}
    )
    checked: dict[tuple, tuple] = {}
    made = []
    for item in asked:
        declaration = found[(item.person.id, item.year)]
        try:
            lifecycle.check(actor, declaration, Action.PREPARE)
            if item.kind not in rule_set_of(declaration).kinds:
                raise Refusal("该人员本年度申报采用的认定规则没有此类条目。", INVALID)
            cache_key = (declaration.rule_set, declaration.year, item.kind, item.subject,
                         tuple(sorted(item.facts.items())))  # fmt: skip
            if cache_key not in checked:
                try:
                    checked[cache_key] = _checked(
                        declaration, item.kind, item.facts, item.details, item.subject
                    )
                except rules.RuleError as error:
                    raise Refusal(error.message, INVALID) from None
        except Refusal as refusal:
            item.refusal = refusal
            continue
        spec, result, subject = checked[cache_key]
        position = positions.get(declaration.id, 0) + 1
        positions[declaration.id] = position
        item.claim = Claim(
            declaration_id=declaration.id,
            position=position,
            kind=item.kind,
            subject=subject,
            facts=dict(result.facts),
            details=_clean_details(spec, item.details),
            identity=duplicates.identity_of(spec, item.details),
            hours=result.hours,
            full_year=result.full_year,
            clause=result.clause,
            source=item.source,
            plan_id=item.plan_id,
        )
        db.session.add(item.claim)
        made.append((declaration, item.claim))
    db.session.flush()
    for declaration, claim in made:
        detail = f"报送条目#{claim.id} {kind_words(declaration, claim.kind)} {claim.hours}学时"
        if claim.details.get("plan_no"):
            detail += f"（备案号{claim.details['plan_no']}）"
        record("claim.prepare", declaration, detail=detail, user=actor)
    _tell_prepared(asked, made)
    return asked


def _tell_prepared(asked: list[Prepared], made: list[tuple[Declaration, Claim]]) -> None:
    """Each person hears once what was added to their year (20.6: a list changes the
    person's declaration, so the person is told)."""
    accounts = {item.person.id: item.person.user_id for item in asked}
    added: dict[int, tuple[Declaration, list[Claim]]] = {}
    for declaration, claim in made:
        added.setdefault(declaration.id, (declaration, []))[1].append(claim)
    messages = []
    for declaration, claims in added.values():
        hours = sum(c.hours or 0 for c in claims)
        where = "、".join(sorted({c.source_label for c in claims if c.source_label})) or "已报送"
        numbers = sorted({c.details["plan_no"] for c in claims if c.details.get("plan_no")})
        text = (
            f"{where}{declaration.year}年度学时条目{len(claims)}项，共{hours}学时"
            + (f"（备案号{'、'.join(numbers)}）" if numbers else "")
            + "，已列入您的年度申报，请核对；不需要的条目可以删除。"
        )
        messages.append(
            (accounts.get(declaration.professional_id), text, {"year": declaration.year})
        )
    notify_each(messages, "claim.prepared", "declarations.edit")


def prepare_claim(actor: User | None, person, year: int, kind: str, facts: dict, details: dict,
                  subject: str, *, source: str, plan_id: int | None = None) -> Claim:  # fmt: skip
    """One prepared claim (see prepare_claims); raises its refusal."""
    [item] = prepare_claims(
        actor, [Prepared(person, year, kind, facts, details, subject, source, plan_id)]
    )
    if item.refusal is not None:
        raise item.refusal
    return item.claim


def update_claim(
    user: User, claim: Claim, facts: dict, details: dict, subject: str | None = None
) -> Claim:
    declaration = claim.declaration
    ensure_draft(user, declaration, "claim.update", claim)
    _refuse_prepared(claim)
    spec, result, subject = _checked(declaration, claim.kind, facts, details, subject)
    details = _clean_details(spec, details)
    claim.facts, claim.details, claim.subject = dict(result.facts), details, subject
    claim.identity = duplicates.identity_of(spec, details)
    claim.title_key = duplicates.title_key_of(spec, details)
    db.session.flush()
    evaluate(declaration)
    record("claim.update", claim, detail=f"{claim.kind_label} {result.hours}学时", user=user)
    return claim


def change_subject(user: User, claim: Claim, subject: str) -> Claim:
    declaration = claim.declaration
    ensure_draft(user, declaration, "claim.subject", claim)
    _refuse_prepared(claim)
    kind = rule_set_of(declaration).kind(claim.kind)
    if kind.subject is not None:
        raise Refusal(f"“{kind.label}”的科目固定，不能更改。", INVALID)
    if subject not in (rules.GENERAL, rules.PROFESSIONAL):
        raise Refusal("科目应为公需科目或专业科目。", INVALID)
    old, claim.subject = claim.subject, subject
    db.session.flush()
    evaluate(declaration)
    record("claim.subject", claim, detail=f"{old} → {subject}", user=user)
    return claim


def highest_only_scope() -> str:
    """The bureau's reading of 第二十一条4 ("clause" or "claim"), used by every evaluation."""
    scope = get_setting("HIGHEST_ONLY_SCOPE")
    if scope not in rules.SCOPES:  # a bad config value: fail loudly, never count by a guess
        raise RuntimeError(f"HIGHEST_ONLY_SCOPE must be one of {rules.SCOPES}, not {scope!r}")
    return scope


def electable(declaration: Declaration, claim: Claim) -> bool:
    """Whether the claim may be the year's elected item: a conversion claim (第十二条（一）–
    （十一）) under a rule set with highest-only."""
    try:
        rule_set = rule_set_of(declaration)
        return rule_set.highest_only and rule_set.kind(claim.kind).conversion
    except rules.RuleError:
        return False


def elect_claim(user: User, claim: Claim) -> Claim:
    """The professional elects the item that counts under highest-only (第二十一条4): this
    claim is elected, any other one of the declaration no longer is."""
    declaration = claim.declaration
    ensure_draft(user, declaration, "claim.elect", claim)
    if not electable(declaration, claim):
        raise Refusal(
            "只有学时折算认定的条目（第十二条（一）至（十一））可以选择就高认定。", INVALID
        )
    for other in declaration.claims:
        other.elected = other is claim
    db.session.flush()
    evaluate(declaration)
    record("claim.elect", claim, detail="本人选择计入此项（就高原则）", user=user)
    return claim


def clear_election(user: User, declaration: Declaration) -> Declaration:
    """No election: the engine counts the item that serves the person best."""
    ensure_draft(user, declaration, "claim.elect")
    elected = [c for c in declaration.claims if c.elected]
    for claim in elected:
        claim.elected = False
    db.session.flush()
    evaluate(declaration)
    if elected:
        record("claim.elect", declaration, detail="取消选择，由系统按最有利原则认定", user=user)
    return declaration


def delete_claim(user: User, claim: Claim) -> None:
    declaration = claim.declaration
    ensure_draft(user, declaration, "claim.delete", claim)
    for item in claim.evidence:
        _release_file(item)
    record("claim.delete", claim, detail=claim.kind_label, user=user)
    declaration.claims.remove(claim)
    db.session.delete(claim)
    db.session.flush()
    evaluate(declaration)


# --- evaluation --------------------------------------------------------------------------


# What the rules engine is told about claims beyond their facts (a training without an accepted
# filing, a company's own training): the providers package, a layer above, adds its marker
# (portal.providers.service.training_marks_many) when it is imported. A marker takes a list of
# declarations (claims loaded) and answers per declaration id, so that a page of them costs
# one lookup, not one per declaration.
Marker = Callable[[list[Declaration]], dict[int, dict[int, dict[str, bool]]]]
_MARKERS: list[Marker] = []


def add_claim_marker(marker: Marker) -> None:
    if marker not in _MARKERS:
        _MARKERS.append(marker)


def claim_marks(declaration: Declaration) -> dict[int, dict[str, bool]]:
    """Per claim id, the marks every registered marker gives (see rules.Claim)."""
    return claim_marks_many([declaration])[declaration.id]


def claim_marks_many(declarations: list[Declaration]) -> dict[int, dict[int, dict[str, bool]]]:
    """claim_marks() of each declaration, by declaration id."""
    marks: dict[int, dict[int, dict[str, bool]]] = {d.id: {} for d in declarations}
    for marker in _MARKERS:
        for declaration_id, found in marker(declarations).items():
            for claim_id, claim_marks_ in found.items():
                marks[declaration_id].setdefault(claim_id, {}).update(claim_marks_)
    return marks


@dataclass
class Evaluation:
    """The year's result plus what the page needs per claim."""

    year: rules.YearResult
    by_claim: dict[int, rules.ClaimResult] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)  # claims the engine refuses now
    flags: dict[int, list[str]] = field(default_factory=dict)


def evaluation(declaration: Declaration, *, store: bool = True, flags: bool = True) -> Evaluation:
    """The year's result; `flags=False` leaves out the duplicate warnings (a page that shows
    only the totals need not look for them)."""
    rule_set = rule_set_of(declaration)
    counted_elsewhere = duplicates.counted_elsewhere(declaration) if rule_set.dedupe else set()
    claims = list(declaration.claims)
    marks = claim_marks(declaration)
    problems: dict[int, str] = {}
    while True:
        usable = [c for c in claims if c.id not in problems]
        inputs = [
            c.rule_claim(counted_elsewhere=c.id in counted_elsewhere, **marks.get(c.id, {}))
            for c in usable
        ]
        try:
            result = rules.evaluate_year(
                rule_set, declaration.year, inputs, highest_only_scope=highest_only_scope()
            )
            break
        except rules.RuleError as error:  # a stored claim the rule set no longer accepts
            index = error.claim_index if error.claim_index is not None else 0
            if not usable:
                raise
            problems[usable[index].id] = error.message
    by_claim = {int(r.key): r for r in result.claims}
    if store and declaration.status is DeclarationStatus.DRAFT:
        for claim in usable:
            r = by_claim[claim.id]
            if (claim.hours, claim.full_year, claim.clause) != (r.hours, r.full_year, r.clause):
                claim.hours, claim.full_year, claim.clause = r.hours, r.full_year, r.clause
    return Evaluation(
        year=result,
        by_claim=by_claim,
        problems=problems,
        flags=duplicates.duplicate_flags(declaration) if flags else {},
    )


def evaluate(declaration: Declaration) -> rules.YearResult:
    """The year's totals by the declaration's rule set (stores hours on draft claims)."""
    return evaluation(declaration).year


def duplicate_flags(declaration: Declaration) -> dict[int, list[str]]:
    """Chinese warnings per claim id, for the professional and the reviewer."""
    return duplicates.duplicate_flags(declaration)


# --- submission ----------------------------------------------------------------------------


def submission_problems(declaration: Declaration) -> list[str]:
    """Why the declaration cannot be submitted yet (empty when it can)."""
    problems = []
    if declaration.professional.status is not PersonStatus.CONFIRMED:
        problems.append(
            "您的人员信息尚未经所在单位确认（自由职业及非公单位人员由人社局确认），"
            "确认后才能提交申报；现在可以先填写草稿。"
        )
    if not declaration.claims:
        problems.append("请至少添加一项申报条目。")
    for number, claim in enumerate(declaration.claims, start=1):
        if not claim.evidence and not claim.prepared:  # a prepared claim's proof is the list
            problems.append(f"第{number}项申报条目还没有上传证明材料。")
    found = evaluation(declaration, store=False)
    for number, claim in enumerate(declaration.claims, start=1):
        if claim.id in found.problems:
            problems.append(f"第{number}项：{found.problems[claim.id]}")
    return problems


def submit(user: User, declaration: Declaration) -> Declaration:
    lifecycle.check(user, declaration, Action.SUBMIT, audit_as="declaration.submit")
    problems = submission_problems(declaration)
    if problems:
        raise Refusal(problems[0], CONFLICT)
    result = evaluate(declaration)
    lifecycle.transition(user, declaration, Action.SUBMIT)
    declaration.submitted_at = utcnow()
    person = declaration.professional
    declaration.unit_id = person.unit_id
    declaration.reviewing_body = (
        ReviewingBody.BUREAU if person.reviewed_by_bureau else ReviewingBody.UNIT
    )
    _fix_review_steps(declaration)
    db.session.flush()
    record(
        "declaration.submit",
        declaration,
        detail=f"{declaration.year}年度，公需{result.general} 专业{result.professional} "
        f"合计{result.total}学时",
        user=user,
    )
    tell_reviewers(declaration, "已提交")
    return declaration


def resubmit(user: User, declaration: Declaration) -> Declaration:
    lifecycle.check(user, declaration, Action.RESUBMIT, audit_as="declaration.resubmit")
    if not any(e.after_submission for c in declaration.claims for e in c.evidence):
        raise Refusal("请先按核验意见补充证明材料，再重新提交。", CONFLICT)
    lifecycle.transition(user, declaration, Action.RESUBMIT)
    db.session.flush()
    record("declaration.resubmit", declaration, detail=f"{declaration.year}年度", user=user)
    tell_reviewers(declaration, "已补充材料重新提交")
    return declaration


def _fix_review_steps(declaration: Declaration) -> None:
    """Two-step review (setting TWO_STEP_REVIEW), fixed at submission like the reviewing body:
    the authority owning the person's current title series checks the professional claims
    first, or the person's reviewer when the series says so or there is no title."""
    if not get_setting("TWO_STEP_REVIEW"):
        declaration.first_step = declaration.first_step_authority_id = None
        declaration.second_step_city = False
        return
    titles = declaration.professional.titles
    series = titles[0].series if titles else None
    declaration.second_step_city = senior_in_year(declaration.professional, declaration.year)
    if series is not None and series.first_review is FirstReview.AUTHORITY:
        declaration.first_step = FirstReview.AUTHORITY
        declaration.first_step_authority_id = series.authority_id
    else:
        declaration.first_step = FirstReview.UNIT
        declaration.first_step_authority_id = None


def senior_in_year(person, year: int) -> bool:
    """Does the person hold a 副高 or 正高 title in `year`: the latest obtained by 31 December
    (an undated title last), as accounts.people.title_in_year chooses."""
    end = date(year, 12, 31)
    valid = [t for t in person.titles if t.obtained is None or t.obtained <= end]
    valid.sort(key=lambda t: (t.obtained is not None, t.obtained or end, t.id or 0), reverse=True)
    return bool(valid) and valid[0].level in (TitleLevel.FULL_SENIOR, TitleLevel.DEPUTY_SENIOR)


def waiting_reviewers(declaration: Declaration) -> list[User]:
    """Whose turn it is: the person's reviewers; in two steps, the first step's reviewers,
    then the county bureau (the city for a senior-title holder's year)."""
    if not declaration.two_step:
        return submitted_reviewers(declaration)
    if declaration.status is DeclarationStatus.PROFESSIONAL_CHECKED:
        return bureau_officers(
            Role.CITY_OFFICER if declaration.second_step_city else Role.BUREAU_OFFICER,
            county=declaration.jurisdiction_code,
        )
    return first_step_reviewers(declaration)


def tell_reviewers(declaration: Declaration, what: str) -> None:
    """The reviewers whose turn it is hear of a declaration that waits for them."""
    person = declaration.professional
    notify(
        waiting_reviewers(declaration),
        "declaration.submitted",
        f"{person.name}的{declaration.year}年度学时申报{what}，待核验。",
        "review.show",
        declaration_id=declaration.id,
    )


# --- evidence ------------------------------------------------------------------------------


def _store_evidence(user: User, claim: Claim, storage, *, after_submission: bool) -> Evidence:
    content = files.read_upload(storage)
    checked = files.check_file(content, getattr(storage, "filename", None))
    files.check_declaration_room(claim.declaration_id, checked.size)
    files.check_person_room(claim.declaration.professional, checked.size)
    item = files.store(claim, checked, user.id, after_submission=after_submission)
    record(
        "evidence.add",
        item,
        detail=f"申报条目{claim.id}，{files.TYPE_LABELS[item.content_type]}，{item.size}字节"
        + ("，核验中补充" if after_submission else ""),
        user=user,
    )
    return item


def add_evidence(user: User, claim: Claim, storage) -> Evidence:
    """Attach a file: to a draft, or — only files — when a reviewer asked for more evidence."""
    declaration = claim.declaration
    if declaration.status is DeclarationStatus.NEEDS_EVIDENCE:
        return add_evidence_after_request(user, declaration, claim, storage)
    ensure_draft(user, declaration, "evidence.add", claim)
    return _store_evidence(user, claim, storage, after_submission=False)


def add_evidence_files(user: User, claim: Claim, storages: list) -> list[Evidence]:
    """Several files chosen at once (or a photo and files): all are stored, or none. A refusal
    names the file when there were several."""
    chosen = [s for s in storages if s is not None and getattr(s, "filename", None)]
    if not chosen:
        raise Refusal("请选择要上传的文件，或直接拍照。", INVALID, field="file")
    added = []
    for storage in chosen:
        try:
            added.append(add_evidence(user, claim, storage))
        except Refusal as error:
            if len(chosen) > 1 and error.field == "file":
                name = files.sanitise_name(storage.filename, files.PDF).removesuffix(".pdf")
                raise Refusal(f"“{name}”：{error.message}", error.status, field="file") from None
            raise
    return added


def add_evidence_after_request(
    user: User, declaration: Declaration, claim: Claim, storage
) -> Evidence:
    if claim.declaration_id != declaration.id:
        raise Refusal("申报条目不属于该申报。", NOT_FOUND)
    lifecycle.check(user, declaration, Action.ADD_EVIDENCE, audit_as="evidence.add", obj=claim)
    return _store_evidence(user, claim, storage, after_submission=True)


def _release_file(item: Evidence) -> None:
    """Remove the stored file after commit, unless another evidence row links it (the claims a
    claim of several lectures was split into share their proof)."""
    shared = db.session.scalar(
        sa.select(sa.func.count(Evidence.id)).where(
            Evidence.stored_name == item.stored_name, Evidence.id != item.id
        )
    )
    if not shared:
        files.remove_after_commit(item.stored_name)


def delete_evidence(user: User, item: Evidence) -> None:
    declaration = item.claim.declaration
    ensure_draft(user, declaration, "evidence.delete", item)
    _release_file(item)
    record("evidence.delete", item, detail=f"申报条目{item.claim_id}", user=user)
    item.claim.evidence.remove(item)
    db.session.delete(item)
    db.session.flush()
