"""Training-plan filing (培训计划备案) and the bureau's decision. Operations take the acting user,
flush and never commit.

Lead time. Seed 001 asks the plan "提前 15 日" before the training, seed 002 "培训前30日"; both
count 日 (calendar days), not 工作日 (the same notices say 工作日 where they mean working days).
A filing is received by the bureau on a working day, so the last day to file is the start date
minus the lead days, moved back to the nearest working day when that day is a weekend, holiday
or other rest day of the working-day calendar (chinesecalendar plus the bureau's own days).
A plan filed after that day is refused with the day it would have needed.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portal.accounts.models import Professional, Role, User
from portal.audit.service import record
from portal.clock import local_today
from portal.declarations import evidence as files
from portal.declarations import service as declarations
from portal.declarations.models import Claim, Declaration
from portal.extensions import db
from portal.jurisdictions import scope
from portal.models_base import utcnow
from portal.notifications.service import notify
from portal.providers.models import PlanForm, PlanState, TrainingPlan
from portal.refusal import CONFLICT, FORBIDDEN, INVALID, Refusal, not_found
from portal.rules import PROFESSIONAL, calendar
from portal.settings import get_setting
from portal.units.models import Authority, Provider, ProviderLevel, TitleSeries, UnitType
from portal.workdays import service as workdays

FILERS = (Role.PROVIDER, Role.UNIT_REVIEWER, Role.AUTHORITY_OFFICER)
# Kinds of claim that are a training a plan may have been filed for (anhui-2025 第十二条（十）;
# hefei-2021 附件3 第5、6项, the bases' trainings).
TRAINING_KINDS = ("training", "training.decided")
UNFILED_MESSAGE = "未经备案的培训不予认定学时：该专业科目培训没有有效的备案号。"


# --- lead time -------------------------------------------------------------------------------


def lead_days() -> int:
    return int(get_setting("TRAINING_PLAN_LEAD_DAYS"))


def last_filing_day(start: date, lead: int | None = None, overrides: dict | None = None) -> date:
    """The last day a plan starting on `start` may be filed (see the module docstring); a list
    page passes the calendar's overrides once for all its plans."""
    lead = lead_days() if lead is None else lead
    day = start - timedelta(days=lead)
    overrides = workdays.overrides() if overrides is None else overrides
    while not calendar.is_workday(day, overrides):
        day -= timedelta(days=1)
    return day


def last_filing_days(plans: list[TrainingPlan]) -> dict[int, date]:
    """Per plan id, its last filing day (one read of the calendar for the whole list)."""
    lead, overrides = lead_days(), workdays.overrides()
    return {plan.id: last_filing_day(plan.start_date, lead, overrides) for plan in plans}


def check_lead_time(start: date, filed_on: date) -> None:
    lead = lead_days()
    latest = last_filing_day(start, lead)
    if filed_on > latest:
        raise Refusal(
            f"培训计划须在培训开始前{lead}日备案：{start:%Y年%m月%d日}开始的培训"
            f"最迟应于{latest:%Y年%m月%d日}提交，已逾期，不予受理。",
            INVALID,
            field="start_date",
        )


# --- who sees what ---------------------------------------------------------------------------


def organiser_of(user: User) -> dict:
    """The organiser a filer files for: its provider, or (for a unit reviewer, an authority
    officer) its unit or authority, for their own internal trainings."""
    if user.role is Role.PROVIDER and user.provider_id:
        return {"provider_id": user.provider_id}
    if user.role is Role.UNIT_REVIEWER and user.unit_id:
        return {"unit_id": user.unit_id}
    if user.role is Role.AUTHORITY_OFFICER and user.authority_id:
        return {"authority_id": user.authority_id}
    raise Refusal("当前账号不能提交培训计划备案。", FORBIDDEN)


def owns(user: User | None, plan: TrainingPlan) -> bool:
    if user is None:
        return True  # the command line
    if user.role is Role.PROVIDER:
        return plan.provider_id is not None and plan.provider_id == user.provider_id
    if user.role is Role.UNIT_REVIEWER:
        return plan.unit_id is not None and plan.unit_id == user.unit_id
    if user.role is Role.AUTHORITY_OFFICER:
        return plan.authority_id is not None and plan.authority_id == user.authority_id
    return False


# --- who decides: the bureau, or the authority owning the plan's series (a setting) --------


def authorities_decide() -> bool:
    return get_setting("PLAN_DECIDED_BY") == "authority"


def _series_names(series: TitleSeries) -> set[str]:
    """A series row and the series it groups (seed 002 rows such as “经济、电子信息”)."""
    return {series.name, *(part.strip() for part in series.name.split("、") if part.strip())}


def series_owners() -> dict[str, Authority]:
    """Every series name (and part of a grouped row) → the authority owning it (one query)."""
    owners: dict[str, Authority] = {}
    query = sa.select(TitleSeries).options(joinedload(TitleSeries.authority))
    for series in db.session.scalars(query.order_by(TitleSeries.id)):
        for name in _series_names(series):
            owners.setdefault(name, series.authority)
    return owners


def series_authority(plan: TrainingPlan, owners: dict | None = None) -> Authority | None:
    """The authority owning the series the plan serves (by name), if any."""
    name = (plan.series or "").strip()
    if not name:
        return None
    return (series_owners() if owners is None else owners).get(name)


def deciding_authority(plan: TrainingPlan, owners: dict | None = None) -> Authority | None:
    """The authority that decides this plan, or None when the bureau does (the setting says
    the bureau, the plan serves no series an authority owns, or an authority filed it: no one
    decides its own filing)."""
    if not authorities_decide() or plan.authority_id is not None:
        return None
    return series_authority(plan, owners)


def deciders(plans: list[TrainingPlan]) -> dict[int, str]:
    """Per plan id, the name of who decides it (for the bureau's list)."""
    owners = series_owners() if authorities_decide() else {}
    return {
        plan.id: getattr(deciding_authority(plan, owners), "name", None) or "人社局"
        for plan in plans
    }


def may_decide(user: User | None, plan: TrainingPlan) -> bool:
    if user is None:
        return True  # the command line
    authority = deciding_authority(plan)
    if authority is None:
        return user.role is Role.BUREAU_OFFICER
    return user.role is Role.AUTHORITY_OFFICER and user.authority_id == authority.id


def _authority_sees(user: User, plan: TrainingPlan) -> bool:
    if user.role is not Role.AUTHORITY_OFFICER or not user.authority_id:
        return False
    authority = deciding_authority(plan)
    return authority is not None and authority.id == user.authority_id


def can_see(user: User | None, plan: TrainingPlan) -> bool:
    """The organiser, the bureau (everything, read-only where an authority decides), and the
    authority that decides the plan."""
    if owns(user, plan):
        return True
    return user.role is Role.BUREAU_OFFICER or _authority_sees(user, plan)


def get_plan(user: User | None, plan_id: int) -> TrainingPlan:
    """The plan, or 404 for a plan that is not the user's to see (existence never leaks)."""
    plan = db.session.get(TrainingPlan, plan_id)
    if plan is None or not can_see(user, plan):
        raise not_found("您要找的培训计划不存在或您无权查看。")
    return plan


def plan_by_number(filing_no: str) -> TrainingPlan:
    plan = db.session.scalar(
        sa.select(TrainingPlan).where(TrainingPlan.filing_no == filing_no.strip().upper())
    )
    if plan is None:
        raise Refusal(f"没有备案号为“{filing_no}”的培训计划。", INVALID)
    return plan


def plans(
    user: User | None, state: PlanState | None = None, *, deciding: bool = False
) -> list[TrainingPlan]:
    """The user's own plans (a filer), the plans an authority decides (`deciding`: the series
    it owns, when the setting gives authorities the decision, not its own filings), or every
    plan (the bureau and the command line)."""
    query = (
        sa.select(TrainingPlan)
        .order_by(TrainingPlan.start_date.desc(), TrainingPlan.id.desc())
        # each row names its organiser (a provider, a unit or an authority)
        .options(
            joinedload(TrainingPlan.provider),
            joinedload(TrainingPlan.unit),
            joinedload(TrainingPlan.authority),
        )
    )
    if user is not None and user.role is Role.AUTHORITY_OFFICER and deciding:
        if not authorities_decide() or not user.authority_id:
            return []
        names = {n for n, a in series_owners().items() if a.id == user.authority_id}
        query = query.where(
            TrainingPlan.series.in_(sorted(names)), TrainingPlan.authority_id.is_(None)
        )
    elif user is not None and user.role is not Role.BUREAU_OFFICER:
        own = organiser_of(user)
        query = query.filter_by(**own)
    if state is not None:
        query = query.where(TrainingPlan.state == state)
    return list(db.session.scalars(query))


def search_accepted(q: str, limit: int = 20, year: int | None = None) -> list[TrainingPlan]:
    """Accepted plans by filing number or title, for a professional declaring a training; with
    `year`, only the plans held (at least partly) in that year (20.15). The plans filed with
    the county acted for (the person's): another county's filing is declared as such
    (FILED_ELSEWHERE)."""
    query = sa.select(TrainingPlan).where(
        TrainingPlan.state == PlanState.ACCEPTED,
        TrainingPlan.jurisdiction_code == scope.home_county(),
    )
    if year is not None and 1900 < year < 3000:
        query = query.where(
            TrainingPlan.start_date <= date(year, 12, 31), TrainingPlan.end_date >= date(year, 1, 1)
        )
    q = q.strip()
    if q:
        query = query.where(
            sa.or_(TrainingPlan.filing_no.contains(q.upper()), TrainingPlan.title.contains(q))
        )
    return list(db.session.scalars(query.order_by(TrainingPlan.start_date.desc()).limit(limit)))


# --- filing and deciding ---------------------------------------------------------------------


def file_plan(user: User, data: dict, programme=None, filed_on: date | None = None) -> TrainingPlan:
    """File a plan (pending until the bureau decides); refused when late or inconsistent."""
    organiser = organiser_of(user)
    start, end, days = data["start_date"], data["end_date"], data["days"]
    if end < start:
        raise Refusal("结束日期不能早于开始日期。", INVALID, field="end_date")
    if days > (end - start).days + 1:
        raise Refusal(
            f"培训天数不能超过开始至结束日期的{(end - start).days + 1}天。", INVALID, field="days"
        )
    filed_on = filed_on or local_today()
    check_lead_time(start, filed_on)
    plan = TrainingPlan(
        **organiser,
        **{k: v for k, v in data.items() if k != "form"},
        form=PlanForm(data["form"]),
        filed_on=filed_on,
        filed_by_id=user.id,
    )
    if programme is not None and getattr(programme, "filename", ""):
        checked = files.check_file(files.read_upload(programme), programme.filename)
        plan.programme_name = checked.display_name
        plan.programme_stored = files.new_stored_name(checked.content_type)
        files.write_file(plan.programme_stored, checked.content)
    db.session.add(plan)
    db.session.flush()
    record(
        "plan.filed",
        plan,
        user=user,
        detail=f"{plan.title}，{start}至{end}，{plan.days}天×{plan.hours_per_day}学时",
    )
    return plan


def same_plans(plan: TrainingPlan) -> list[TrainingPlan]:
    """Other plans of the same organiser with the same title and dates, not refused: the same
    training filed twice (20.15: the filer is warned, the bureau sees it on the plan)."""
    return list(
        db.session.scalars(
            sa.select(TrainingPlan).where(
                TrainingPlan.id != plan.id,
                TrainingPlan.provider_id.is_(None)
                if plan.provider_id is None
                else TrainingPlan.provider_id == plan.provider_id,
                TrainingPlan.unit_id.is_(None)
                if plan.unit_id is None
                else TrainingPlan.unit_id == plan.unit_id,
                TrainingPlan.authority_id.is_(None)
                if plan.authority_id is None
                else TrainingPlan.authority_id == plan.authority_id,
                TrainingPlan.title == plan.title,
                TrainingPlan.start_date == plan.start_date,
                TrainingPlan.end_date == plan.end_date,
                TrainingPlan.state != PlanState.REFUSED,
            )
        )
    )


def next_filing_no(year: int) -> str:
    prefix = f"BA{year}-"
    last = db.session.scalar(
        sa.select(sa.func.max(TrainingPlan.filing_no))
        .where(TrainingPlan.filing_no.startswith(prefix))
        .execution_options(all_jurisdictions=True)  # one series for the instance's counties
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def decide_plan(user: User | None, plan: TrainingPlan, accept: bool, reason: str = "") -> None:
    """The bureau, or the authority owning the plan's series when the setting says so, accepts
    (a filing number is given) or refuses (reason required) a plan."""
    if not may_decide(user, plan):
        authority = deciding_authority(plan)
        who = authority.name if authority is not None else "人社局"
        raise Refusal(f"该培训计划备案由{who}审核，您不能审核。", FORBIDDEN)
    if plan.state is not PlanState.PENDING:
        raise Refusal(f"该培训计划{plan.state.label}，不能再审核。", CONFLICT)
    reason = (reason or "").strip()
    if not accept and not reason:
        raise Refusal("不予备案须填写理由。", INVALID, field="reason")
    plan.state = PlanState.ACCEPTED if accept else PlanState.REFUSED
    plan.decision_reason = reason
    plan.decided_at, plan.decided_by_id = utcnow(), getattr(user, "id", None)
    if accept:
        plan.filing_no = next_filing_no(plan.start_date.year)
    db.session.flush()
    detail = f"备案号{plan.filing_no}" if accept else reason
    if user is not None and user.role is Role.AUTHORITY_OFFICER:
        detail += f"（{user.authority.name}审核）"
    record("plan.accepted" if accept else "plan.refused", plan, user=user, detail=detail)
    text = (
        f"培训计划“{plan.title}”已备案，备案号{plan.filing_no}。"
        if accept
        else f"培训计划“{plan.title}”不予备案。理由：{reason}"
    )
    notify(plan_filers(plan), "plan.accepted" if accept else "plan.refused", text,
           "providers.plan", plan_id=plan.id)  # fmt: skip


def plan_filers(plan: TrainingPlan) -> list[User]:
    """Who hears of a decision on a plan: the filer, and the active accounts of the provider
    (or unit, or authority) that filed it."""
    owner = (
        User.provider_id == plan.provider_id
        if plan.provider_id
        else User.unit_id == plan.unit_id
        if plan.unit_id
        else User.authority_id == plan.authority_id
        if plan.authority_id
        else sa.false()
    )
    users = list(db.session.scalars(sa.select(User).where(owner, User.active.is_(True))))
    if plan.filed_by is not None and plan.filed_by.active:
        users.append(plan.filed_by)
    return users


def as_json(plan: TrainingPlan) -> dict:
    return {
        "number": plan.filing_no,
        "provider": plan.organiser_name,
        "title": plan.title,
        "start": plan.start_date.isoformat(),
        "end": plan.end_date.isoformat(),
        "state": plan.state.value,
    }


# --- training claims and filing ----------------------------------------------------------


def unfiled_claims(declaration: Declaration) -> dict[int, str]:
    """Professional training claims without an accepted plan's filing number (seed 001:
    未经备案的培训不予认定学时), by claim id, with the message the reviewer sees."""
    return _unfiled(declaration, _plans_of(declaration))


def _unfiled(declaration: Declaration, filed: dict[int, TrainingPlan]) -> dict[int, str]:
    return {
        c.id: UNFILED_MESSAGE
        for c in declaration.claims
        if c.kind in TRAINING_KINDS and c.subject == PROFESSIONAL and c.id not in filed
    }


def unfiled_refused() -> bool:
    """The default (001 三, 003 二): an unfiled professional training counts 0; the bureau may
    turn it back to flag-only."""
    return bool(get_setting("UNFILED_TRAINING_REFUSED"))


# Where a training held outside the county's filing was filed (the reviewer's reason to accept
# an unfiled training, with a written why).
FILED_ELSEWHERE = {
    "national": "国家级继续教育基地培训",
    "provincial": "省级继续教育基地培训",
    "other_county": "外县（市、区）人社部门备案的培训",
    "other_province": "外省（市）备案的培训",
    "ministry": "国家部委、行业组织举办的培训",
}


def _plans_of(declaration: Declaration) -> dict[int, TrainingPlan]:
    """The accepted plans the declaration's training claims name (by plan id or number)."""
    return _plans_of_many([declaration])[declaration.id]


def _plans_of_many(declarations: list[Declaration]) -> dict[int, dict[int, TrainingPlan]]:
    """_plans_of() of each declaration (claims loaded), by declaration id: the plans of them
    all, with their units, read by one query."""
    trainings = {d.id: [c for c in d.claims if c.kind in TRAINING_KINDS] for d in declarations}
    ids = {c.plan_id for claims in trainings.values() for c in claims if c.plan_id}
    numbers = {_plan_no(c) for claims in trainings.values() for c in claims} - {""}
    found: dict[int, dict[int, TrainingPlan]] = {d.id: {} for d in declarations}
    if not (ids or numbers):
        return found
    plans = db.session.scalars(
        sa.select(TrainingPlan)
        .where(
            TrainingPlan.state == PlanState.ACCEPTED,
            sa.or_(TrainingPlan.id.in_(ids), TrainingPlan.filing_no.in_(numbers)),
        )
        .options(joinedload(TrainingPlan.unit))
    ).all()
    by_id = {p.id: p for p in plans}
    by_no = {p.filing_no: p for p in plans}
    for declaration_id, claims in trainings.items():
        for claim in claims:
            plan = by_id.get(claim.plan_id) or by_no.get(_plan_no(claim))
            if plan is not None:
                found[declaration_id][claim.id] = plan
    return found


def _plan_no(claim: Claim) -> str:
    return str((claim.details or {}).get("plan_no", "")).strip().upper()


def _by_enterprise(plan: TrainingPlan) -> bool:
    unit = plan.unit
    return unit is not None and unit.type in (
        UnitType.STATE_ENTERPRISE,
        UnitType.PRIVATE_ENTERPRISE,
    )


def _internal(plan: TrainingPlan, declaration: Declaration) -> bool:
    """A training an enterprise unit filed for its own staff (the trainee works there)."""
    return _by_enterprise(plan) and (
        plan.unit_id == declaration.unit_id or plan.unit_id == declaration.professional.unit_id
    )


def _load_people(declarations: list[Declaration]) -> None:
    """Attach to these declarations their people that are not loaded and that the session does
    not hold yet, read by one query (then `declaration.professional` needs no query of its
    own). A declaration that has its person already (loaded, or given as a column stand-in's
    field: portal.dashboard.service.Declared) is left as it is."""
    missing = [
        d
        for d in declarations
        if "professional" not in vars(d)
        and identity_key(Professional, d.professional_id) not in db.session.identity_map
    ]
    if not missing:
        return
    people = db.session.scalars(
        sa.select(Professional).where(Professional.id.in_({d.professional_id for d in missing}))
    )
    by_id = {person.id: person for person in people}
    for declaration in missing:
        if declaration.professional_id in by_id:  # else out of sight: the lazy load decides
            set_committed_value(declaration, "professional", by_id[declaration.professional_id])


def training_marks(declaration: Declaration) -> dict[int, dict[str, bool]]:
    """Per claim id, what the rules engine is told about a training: `unfiled` (a professional
    training with no accepted filing that no reviewer accepted as filed elsewhere, when the
    bureau does not keep to flag-only) and `internal` (a company's training for its staff)."""
    return training_marks_many([declaration])[declaration.id]


def training_marks_many(declarations: list[Declaration]) -> dict[int, dict[int, dict[str, bool]]]:
    """training_marks() of each declaration (claims loaded), by declaration id: the plans
    looked up by one query for them all."""
    refused = unfiled_refused()
    plans = _plans_of_many(declarations)
    _load_people([d for d in declarations if any(map(_by_enterprise, plans[d.id].values()))])
    found = {}
    for declaration in declarations:
        marks: dict[int, dict[str, bool]] = {}
        if refused:
            claims = {c.id: c for c in declaration.claims}
            for claim_id in _unfiled(declaration, plans[declaration.id]):
                if not claims[claim_id].filed_elsewhere:
                    marks.setdefault(claim_id, {})["unfiled"] = True
        for claim_id, plan in plans[declaration.id].items():
            if _internal(plan, declaration):
                marks.setdefault(claim_id, {})["internal"] = True
        found[declaration.id] = marks
    return found


declarations.add_claim_marker(training_marks_many)


def check_filed_for_acceptance(claim: Claim, filed_elsewhere: str = "", why: str = "") -> None:
    """An unfiled professional training is accepted only as held outside the county's filing
    (a chosen place and a written why), unless the bureau keeps to flag-only; a company's
    training for its own staff is not accepted where the rule set does not count it."""
    from portal import rules

    declaration = claim.declaration
    rule_set = rules.get_rule_set(declaration.rule_set)
    if not rule_set.internal_training_counts and training_marks(declaration).get(claim.id, {}).get(
        "internal"
    ):
        raise Refusal(
            "公司内部培训不算做继续教育学时（合肥市学时核定明细表），不能认定。",
            CONFLICT,
            field="decision",
        )
    if not (unfiled_refused() and claim.id in unfiled_claims(declaration)):
        return
    if not filed_elsewhere:
        raise Refusal(
            UNFILED_MESSAGE + "如属县外备案的培训，请选择备案来源并写明依据。",
            CONFLICT,
            field="filed_elsewhere",
        )
    if filed_elsewhere not in FILED_ELSEWHERE:
        raise Refusal("请从列表中选择备案来源。", INVALID, field="filed_elsewhere")
    if not (why or "").strip():
        raise Refusal("认定县外备案的培训须写明依据。", INVALID, field="reason")


# --- the provider directory (seed 001 附件1) ------------------------------------------------

PROVIDER_LABELS = {"name": "名称", "contact": "联系人", "phone": "联系电话", "level": "级别"}
PROVIDER_LABELS["active"] = "启用"


def save_provider(user: User, provider, data: dict):
    """Add (provider None) or change a directory entry; audited with what changed."""
    data = {**data, "level": ProviderLevel(data["level"])}
    clash = db.session.scalar(
        sa.select(Provider.id).where(
            Provider.name == data["name"], Provider.id != getattr(provider, "id", None)
        )
    )
    if clash is not None:
        raise Refusal(f"已有名为“{data['name']}”的施教机构。", INVALID, field="name")
    if provider is None:
        provider = Provider(**data)
        db.session.add(provider)
        db.session.flush()
        record("provider.create", provider, user=user, detail=data["name"])
        return provider
    changes = []
    for key, value in data.items():
        before = getattr(provider, key)
        if before != value:
            changes.append(f"{PROVIDER_LABELS[key]}：{_shown(before)} → {_shown(value)}")
            setattr(provider, key, value)
    if changes:
        db.session.flush()
        record("provider.update", provider, user=user, detail="；".join(changes))
    return provider


def _shown(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return getattr(value, "label", None) or str(value or "")
