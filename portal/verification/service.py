"""Cycle verification (学时验证): the years of a cycle from the person's registered years, the
`rules cycle` computation, the issued (immutable) verification and the city's confirmation.

Which years, by default (spec/domain.md "Certificates and verification"): a title application
looks at the latest tenure cycle — from the year of the current title's appointment (聘任, else
取得) to the last finished year (the application year only when it is already registered), at
most the tenure length of the level applied for (a bureau setting per level, TENURE_YEARS_*:
the seeds give none; seeded 5 正高/副高, 4 中级, 2 初级 and 员级). An internal promotion looks at
the latest 3 finished years (seed 000 五(四)). The officer may change the years; the sheet says
who chose them. A year without registered hours is in the cycle as 0 and 0 ("missing"), under
the rule set that year uses by default, except:

- years before a transfer into the province (004 第十四条 ¶4, 001 四: the policy applies from the
  transfer, the transfer year itself is asked) are "调入前" and not asked, unless hours were
  entered for them (paper or late years);
- years before the portal's first registered year with nothing entered are "系统启用前": the
  verdict cannot be given (never a 未通过) until their paper certificate is entered.

Cross-major (seed 000 五(二)): the officer marks the registered professional claims that were
in the applied speciality; their counted hours go against 400 / 200 / 100 for a senior /
intermediate / junior title, and the sheet lists them.

Number (验证单编号): YZ<county code>-<year of issue>-<sequence of 6 digits>. Check code
(查验码): 28 characters of base32 (140 bits), printed as a QR code to the public check page.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import rules
from portal.accounts.models import Professional, Role, User, mask_id_number, mask_name
from portal.audit.service import record
from portal.certificates.service import bureau_name, county_code
from portal.clock import LOCAL_TZ, current_year
from portal.declarations.models import Claim, Declaration, DeclarationStatus
from portal.declarations.paper import portal_first_year
from portal.extensions import db
from portal.jurisdictions import public, scope
from portal.models_base import utcnow
from portal.notifications.service import notify
from portal.people.service import SOURCE_LABELS, registered_years
from portal.refusal import CONFLICT, INVALID, Refusal, forbidden, not_found
from portal.rules.cycle import MAKEUP
from portal.settings import get_setting
from portal.templating import rule_set_name
from portal.units.models import TitleLevel, TitleSeries
from portal.verification.models import (
    SENIOR_LEVELS,
    Verification,
    VerificationKind,
    VerificationStatus,
)

MISSING = "missing"
BEFORE_TRANSFER = "before_transfer"
BEFORE_PORTAL = "before_portal"
SOURCES = {
    **SOURCE_LABELS,
    MISSING: "无登记",
    BEFORE_TRANSFER: "调入前",
    BEFORE_PORTAL: "系统启用前未录入",
}
INTERNAL_YEARS = 3
MAX_YEARS = 10
# The tenure length per level applied for (bureau settings; the seeds give none).
TENURE_SETTINGS = {
    TitleLevel.FULL_SENIOR: "TENURE_YEARS_FULL_SENIOR",
    TitleLevel.DEPUTY_SENIOR: "TENURE_YEARS_DEPUTY_SENIOR",
    TitleLevel.INTERMEDIATE: "TENURE_YEARS_INTERMEDIATE",
    TitleLevel.JUNIOR: "TENURE_YEARS_JUNIOR",
    TitleLevel.ASSISTANT: "TENURE_YEARS_ASSISTANT",
}
# The level a title application usually asks for, from the current one.
NEXT_LEVEL = {
    TitleLevel.ASSISTANT: TitleLevel.JUNIOR,
    TitleLevel.JUNIOR: TitleLevel.INTERMEDIATE,
    TitleLevel.INTERMEDIATE: TitleLevel.DEPUTY_SENIOR,
    TitleLevel.DEPUTY_SENIOR: TitleLevel.FULL_SENIOR,
    TitleLevel.FULL_SENIOR: TitleLevel.FULL_SENIOR,
}
CROSS_LEVELS = {
    TitleLevel.FULL_SENIOR: "senior",
    TitleLevel.DEPUTY_SENIOR: "senior",
    TitleLevel.INTERMEDIATE: "intermediate",
    TitleLevel.JUNIOR: "junior",
    TitleLevel.ASSISTANT: "junior",
}
_CODE_RE = re.compile(r"^[A-Z2-7]{28}$")


@dataclass(frozen=True)
class Request:
    """What the officer asks: the title applied for, the years, whether it is cross-major."""

    kind: VerificationKind
    series: TitleSeries | None  # None: the professional's own check
    level: TitleLevel
    application_year: int
    first_year: int
    last_year: int
    cross_major: bool = False
    speciality_claims: tuple[int, ...] = ()  # claim ids the officer marks as in the speciality


@dataclass(frozen=True)
class YearRow:
    year: int
    rule_set: str
    general: int
    professional: int
    source: str  # portal | paper | missing | before_transfer | before_portal

    @property
    def total(self) -> int:
        return self.general + self.professional

    @property
    def asked(self) -> bool:
        """In the computation: every year but those before a transfer with nothing entered."""
        return self.source != BEFORE_TRANSFER

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)


@dataclass(frozen=True)
class DefaultYears:
    """The years the form starts with, and why (printed when the officer keeps them)."""

    first: int
    last: int
    basis: str


@dataclass(frozen=True)
class SpecialityClaim:
    """A registered professional claim of the cycle: year, kind, title and counted hours."""

    id: int
    year: int
    kind: str
    title: str
    hours: int

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "year": self.year,
            "kind": self.kind,
            "title": self.title,
            "hours": self.hours,
        }


@dataclass(frozen=True)
class Computation:
    rows: list[YearRow]
    result: rules.CycleResult
    policy: rules.CyclePolicy
    default: DefaultYears
    next_year: dict[str, int] = field(default_factory=dict)  # what the next year must make up
    candidates: list[SpecialityClaim] = field(default_factory=list)
    speciality: list[SpecialityClaim] = field(default_factory=list)  # the marked ones

    @property
    def missing_years(self) -> list[int]:
        return [row.year for row in self.rows if row.source == MISSING]

    @property
    def before_portal_years(self) -> list[int]:
        return [row.year for row in self.rows if row.source == BEFORE_PORTAL]

    @property
    def before_transfer_years(self) -> list[int]:
        return [row.year for row in self.rows if row.source == BEFORE_TRANSFER]

    @property
    def complete(self) -> bool:
        """Whether a verdict can be given: no year before the portal is left without entry."""
        return not self.before_portal_years

    def by_default(self, first: int, last: int) -> bool:
        return (first, last) == (self.default.first, self.default.last)


# --- the bureau's reading, the years ---------------------------------------------------------


def policy() -> rules.CyclePolicy:
    """The bureau's reading of "不得在一个年度内突击完成" (settings CYCLE_MAKEUP, CYCLE_CAP_FACTOR)."""
    if get_setting("CYCLE_MAKEUP"):
        return rules.CyclePolicy(cramming="makeup")
    return rules.CyclePolicy(cramming="cap", cap_factor=get_setting("CYCLE_CAP_FACTOR"))


def policy_text(value: rules.CyclePolicy) -> str:
    if value.cramming == "makeup":
        return "某年度不足的学时可顺延至下一年度补学，不得突击完成"
    return (
        "任职周期内年度学时平均达到规定学时即可，不得在一个年度内突击完成："
        f"单一年度学时最多按{value.cap_factor:g}个年度计入"
    )


def cycle_start(person: Professional) -> int | None:
    """The year the tenure cycle starts: the latest title's appointment (else obtained) date."""
    for title in person.titles:  # latest obtained first
        day = title.appointed or title.obtained
        if day is not None:
            return day.year
    return None


def tenure_years(level: TitleLevel) -> int:
    """The bureau's tenure length for the level applied for (settings TENURE_YEARS_*)."""
    return int(get_setting(TENURE_SETTINGS[level]))


def last_finished_year(person: Professional, application_year: int) -> int:
    """The application year once it is registered, else the year before."""
    if any(y.year == application_year for y in registered_years(person, across=True)):
        return application_year
    return application_year - 1


def default_years(
    person: Professional,
    kind: VerificationKind,
    application_year: int,
    level: TitleLevel | None = None,
) -> DefaultYears:
    """The cycle's default years: see the module's docstring."""
    last = last_finished_year(person, application_year)
    if kind is VerificationKind.INTERNAL:
        first = last - INTERNAL_YEARS + 1
        return DefaultYears(first, last, f"单位内部晋升：最近{INTERNAL_YEARS}个已完成年度")
    level = level or TitleLevel.INTERMEDIATE
    tenure = tenure_years(level)
    start = cycle_start(person)
    first = last - tenure + 1
    limit = f"申报{level.label}职称的任职年限{tenure}年（本局设置）"
    if start is None:
        return DefaultYears(first, last, f"最近{tenure}个已完成年度（无任现职时间），{limit}")
    if start > first:
        first = min(start, last)
    return DefaultYears(
        first, last, f"任现职（{start}年）起至最近一个已完成年度（{last}年），不超过{limit}"
    )


def check_years(kind: VerificationKind, first: int, last: int) -> None:
    if first > last:
        raise Refusal("起始年度不能晚于截止年度。", INVALID, field="first_year")
    if last - first + 1 > MAX_YEARS:
        raise Refusal(f"验证年度不超过{MAX_YEARS}年。", INVALID, field="first_year")
    if kind is VerificationKind.INTERNAL and last - first + 1 != INTERNAL_YEARS:
        raise Refusal("单位内部晋升核查最近3个年度。", INVALID, field="first_year")


def cycle_rows(person: Professional, first: int, last: int) -> list[YearRow]:
    """Every year of the cycle: its registered hours, or 0 and 0 when nothing is registered —
    "调入前" (not asked) before the transfer year, "系统启用前未录入" before the portal."""
    registered = {y.year: y for y in registered_years(person, across=True)}
    transfer = person.transfer_in_date.year if person.transfer_in_date else None
    start = portal_first_year()
    rows: list[YearRow] = []
    for year in range(first, last + 1):
        found = registered.get(year)
        if found is not None:
            rows.append(
                YearRow(year, found.rule_set, found.general, found.professional, found.source)
            )
            continue
        if transfer is not None and year < transfer and all(not r.asked for r in rows):
            source = BEFORE_TRANSFER  # the leading years before the transfer
        elif year < start:
            source = BEFORE_PORTAL
        else:
            source = MISSING
        rows.append(YearRow(year, _default_rule_set(year), 0, 0, source))
    return rows


def speciality_candidates(person: Professional, first: int, last: int) -> list[SpecialityClaim]:
    """The registered professional claims of the cycle's years the officer may mark as in the
    applied speciality, with the hours each counted."""
    rows = db.session.execute(
        sa.select(Claim, Declaration.year)
        .join(Declaration, Claim.declaration_id == Declaration.id)
        .where(
            Declaration.professional_id == person.id,
            Declaration.status == DeclarationStatus.REGISTERED,
            Declaration.year.between(first, last),
            Claim.counted_professional > 0,
        )
        .order_by(Declaration.year, Claim.position, Claim.id)
    ).all()
    return [
        SpecialityClaim(
            id=claim.id,
            year=year,
            kind=_kind_label(claim, year),
            title=(claim.details or {}).get("title") or "",
            hours=claim.counted_professional or 0,
        )
        for claim, year in rows
    ]


def _kind_label(claim: Claim, year: int) -> str:
    try:
        return rules.get_rule_set(claim.declaration.rule_set).kind(claim.kind).label
    except rules.RuleError:
        return claim.kind


def _default_rule_set(year: int) -> str:
    try:
        return rules.rule_set_for_year(year).id
    except rules.RuleError as error:
        raise Refusal(str(error), INVALID, field="first_year") from error


def compute(person: Professional, request: Request) -> Computation:
    """The cycle's verdict from the person's registered years (nothing is stored)."""
    check_years(request.kind, request.first_year, request.last_year)
    rows = cycle_rows(person, request.first_year, request.last_year)
    asked = [row for row in rows if row.asked]
    if not asked:
        raise Refusal(
            f"所选年度均在调入（{person.transfer_in_date}）之前，不要求继续教育学时。",
            INVALID,
            field="first_year",
        )
    chosen = policy()
    candidates = speciality_candidates(person, request.first_year, request.last_year)
    marked = set(request.speciality_claims) if request.cross_major else set()
    unknown = marked - {c.id for c in candidates}
    if unknown:
        raise Refusal("所选的专业科目条目不在该人员验证年度的已登记条目中。", INVALID,
                      field="speciality")  # fmt: skip
    speciality = [c for c in candidates if c.id in marked]
    cross = None
    if request.cross_major:
        cross = rules.CrossMajor(CROSS_LEVELS[request.level], sum(c.hours for c in speciality))
    try:
        result = rules.verify_cycle(
            [rules.CycleYear(r.year, r.rule_set, r.general, r.professional) for r in asked],
            chosen,
            cross,
        )
    except rules.RuleError as error:
        raise Refusal(str(error), INVALID, field="first_year") from error
    next_year = {}
    if chosen.cramming == MAKEUP:  # only this reading asks the next year to make up
        last = result.years[-1]
        next_year = {n: c.short for n, c in last.components.items() if c.required and c.short > 0}
    default = default_years(person, request.kind, request.application_year, request.level)
    return Computation(rows, result, chosen, default, next_year, candidates, speciality)


# --- rights ----------------------------------------------------------------------------------


def can_verify(user: User, person: Professional, kind: VerificationKind) -> bool:
    """The bureau verifies anyone; a unit checks its own people for an internal promotion."""
    if not user.is_authenticated or not user.active:
        return False
    if user.role is Role.BUREAU_OFFICER:
        return True
    if user.role is Role.UNIT_REVIEWER:
        return (
            kind is VerificationKind.INTERNAL
            and user.unit_id is not None
            and person.unit_id == user.unit_id
        )
    return False


def visible(user: User) -> sa.Select:
    """The verifications this user may open: the bureau all, a unit its own, the city what
    was sent to it."""
    query = sa.select(Verification)
    if user.role is Role.BUREAU_OFFICER:
        return query
    if user.role is Role.UNIT_REVIEWER and user.unit_id is not None:
        return query.where(Verification.unit_id == user.unit_id)
    if user.role is Role.CITY_OFFICER:
        return query.where(Verification.sent_at.is_not(None))
    return query.where(sa.false())


def get_verification(user: User, verification_id: int) -> Verification:
    found = db.session.scalar(visible(user).where(Verification.id == verification_id))
    if found is None:
        raise not_found("您要找的学时验证单不存在或您无权查看。")
    scope.act_on(found)
    return found


def person_for(user: User, person_id: int, kind: VerificationKind) -> Professional:
    """The person to verify, or a refusal: another unit's people are "not found"."""
    person = db.session.get(Professional, person_id)
    if person is not None and can_verify(user, person, kind):
        return person
    if person is not None and user.role is Role.UNIT_REVIEWER and person.unit_id == user.unit_id:
        raise forbidden("单位只能核查本单位人员的内部晋升学时，职称申报学时验证由人社局办理。")
    raise not_found("您要找的人员不存在或您无权查看。")


# --- issuing ---------------------------------------------------------------------------------


def _next_number(now: datetime, county: str) -> str:
    prefix = f"YZ{county_code(county)}-{now.astimezone(LOCAL_TZ).year}-"
    last = db.session.scalar(
        sa.select(Verification.number)
        .where(Verification.number.like(prefix + "%"))
        .execution_options(all_jurisdictions=True)
        .order_by(Verification.number.desc())
        .limit(1)
    )
    return prefix + f"{int(last.removeprefix(prefix)) + 1 if last else 1:06d}"


def _number(verification: Verification, now: datetime) -> None:
    """Add with the next number; a number taken at the same moment is retried with the next."""
    for _attempt in range(5):
        verification.number = _next_number(now, verification.professional.jurisdiction_code)
        try:
            with db.session.begin_nested():
                db.session.add(verification)
                db.session.flush()
            return
        except IntegrityError:
            continue
    raise Refusal("验证单编号分配冲突，请稍后重试。", CONFLICT)


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(18)).decode().rstrip("=")[:28]


def display_code(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    code = re.sub(r"[\s\-]", "", text or "").upper()
    return code if _CODE_RE.match(code) else None


def body_name(user: User) -> str:
    if user.role is Role.UNIT_REVIEWER and user.unit is not None:
        return user.unit.name
    return bureau_name()


def current_of(person: Professional, kind: VerificationKind) -> Verification | None:
    """The person's verification of this kind that no newer one has superseded."""
    return db.session.scalar(
        sa.select(Verification).where(
            Verification.professional_id == person.id,
            Verification.kind == kind,
            Verification.superseded_by_id.is_(None),
        )
    )


def issue(user: User, person: Professional, request: Request) -> Verification:
    """Issue (keep) the verification; it supersedes the person's previous one of its kind. A
    senior title's passing cycle verification goes to the city for confirmation."""
    if not can_verify(user, person, request.kind):
        raise forbidden("您无权为该人员出具学时验证单。")
    computation = compute(person, request)
    if not computation.complete:
        years = "、".join(str(y) for y in computation.before_portal_years)
        raise Refusal(
            f"{years}年度在本系统启用前，尚未录入纸质证书学时，不能据此判定；"
            "请先在人员档案中录入纸质证书年度，再出具验证单。",
            CONFLICT,
            field="first_year",
        )
    result = computation.result
    now = utcnow()
    previous = current_of(person, request.kind)
    verification = Verification(
        code=new_code(),
        kind=request.kind,
        professional=person,
        series=request.series,
        level=request.level,
        application_year=request.application_year,
        first_year=request.first_year,
        last_year=request.last_year,
        cross_major=request.cross_major,
        ok=result.ok,
        unit_id=user.unit_id if user.role is Role.UNIT_REVIEWER else None,
        issued_by=user,
        issued_at=now,
        content=_content(user, person, request, computation),
    )
    to_city = request.kind is VerificationKind.CYCLE and request.level in SENIOR_LEVELS
    if to_city and result.ok:
        verification.status = VerificationStatus.SENT
        verification.sent_at = now
    _number(verification, now)
    if previous is not None:
        previous.superseded_by = verification
    db.session.flush()
    verdict = "通过" if result.ok else "未通过"
    detail = (
        f"{verification.number}，{request.series.name}{request.level.label}，"
        f"{request.first_year}–{request.last_year}年度，{verdict}"
    )
    if previous is not None:
        detail += f"，取代 {previous.number}"
    record("verification.issue", verification, user=user, detail=detail)
    if verification.status is VerificationStatus.SENT:
        record("verification.sent", verification, user=user, detail="正高、副高职称报市人社局复核")
    notify(
        [person.user],
        "verification.issued",
        f"您的学时验证单 {verification.number} 已出具（{request.series.name}{request.level.label}，"
        f"{request.first_year}–{request.last_year}年度，{verdict}）。",
        "verification.self_check",
    )
    return verification


def _content(user: User, person: Professional, request: Request, computation: Computation) -> dict:
    return {
        "name": person.name,
        "id_masked": mask_id_number(person.id_number),
        "unit": person.unit.name if person.unit else "自由职业",
        "title": f"{request.series.name} {request.level.label}",
        "body": body_name(user),
        "officer": user.name,
        **sheet_data(computation, request, f"经办人{user.name}"),
    }


NEXT_YEAR_LABELS = {"general": "公需科目", "professional": "专业科目", "total": "总学时"}


def years_choice(computation: Computation, request: Request, chooser: str) -> dict:
    """Who chose the cycle's years: the default (and why) or the named person."""
    default = computation.default
    by_default = computation.by_default(request.first_year, request.last_year)
    years = f"{request.first_year}–{request.last_year}年度"
    if by_default:
        text = f"{years}，按默认：{default.basis}"
    else:
        text = (
            f"{years}，由{chooser}选定（默认为{default.first}–{default.last}年度：{default.basis}）"
        )
    return {
        "first": request.first_year,
        "last": request.last_year,
        "by": "default" if by_default else "chosen",
        "chooser": None if by_default else chooser,
        "default": [default.first, default.last],
        "default_basis": default.basis,
        "text": text,
    }


def _year_entry(row: YearRow, counted: rules.CycleYearResult | None) -> dict:
    entry = {
        "year": row.year,
        "rule_set": row.rule_set,
        "rule_set_name": rule_set_name(row.rule_set),
        "general": row.general,
        "professional": row.professional,
        "total": row.total,
        "source": row.source,
        "source_label": row.source_label,
        "asked": row.asked,
        "short": {},
        "made_up": {},
    }
    if counted is not None:
        entry.update(counted.as_dict())
        entry["short"] = {k: v for k, v in counted.short.items() if v > 0}
        entry["made_up"] = {k: v for k, v in counted.made_up.items() if v > 0}
    return entry


def sheet_data(computation: Computation, request: Request | None = None, chooser: str = "") -> dict:
    """The figures a page or the sheet shows (plain data, as kept in Verification.content)."""
    result = computation.result
    chosen = computation.policy
    counted = {y.year: y for y in result.years}
    data = {
        "policy": {"cramming": chosen.cramming, "cap_factor": chosen.cap_factor},
        "policy_text": policy_text(chosen),
        "basis": result.basis,
        "years": [_year_entry(row, counted.get(row.year)) for row in computation.rows],
        "required": dict(result.required),
        "counted": dict(result.counted),
        "missing_years": computation.missing_years,
        "before_transfer_years": computation.before_transfer_years,
        "before_portal_years": computation.before_portal_years,
        "complete": computation.complete,
        "next_year": computation.next_year,
        "speciality": [c.as_dict() for c in computation.speciality],
        "result": result.as_dict(),
    }
    if request is not None:
        data["years_choice"] = years_choice(computation, request, chooser)
    return data


# --- the city's confirmation -----------------------------------------------------------------


def _city_check(user: User, verification: Verification, action: str) -> None:
    if user.role is not Role.CITY_OFFICER:
        raise forbidden("只有市人社局经办人可以复核。")
    if verification.status is not VerificationStatus.SENT or verification.superseded:
        raise Refusal(
            f"该验证单当前状态为“{verification.status.label}”，不能再复核。",
            CONFLICT,
            action=action,
            obj=verification,
            user=user,
        )


def confirm(user: User, verification: Verification) -> Verification:
    _city_check(user, verification, "verification.confirmed")
    verification.status = VerificationStatus.CONFIRMED
    verification.city_by = user
    verification.city_at = utcnow()
    record("verification.confirmed", verification, user=user, detail="市人社局复核通过")
    return verification


def return_to_county(user: User, verification: Verification, reason: str) -> Verification:
    reason = (reason or "").strip()
    if not reason:
        raise Refusal("退回须写明理由。", INVALID, field="reason")
    _city_check(user, verification, "verification.returned")
    verification.status = VerificationStatus.RETURNED
    verification.city_by = user
    verification.city_at = utcnow()
    verification.city_note = reason[:500]
    record("verification.returned", verification, user=user, detail=reason[:500])
    return verification


# --- reading ---------------------------------------------------------------------------------


def standing(verification: Verification) -> str:
    if verification.superseded:
        return f"已被 {verification.superseded_by.number} 取代"
    return verification.status.label


def find_by_code(code: str) -> Verification | None:
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return db.session.scalar(sa.select(Verification).where(Verification.code == normalised))


def public_view(verification: Verification) -> dict:
    """What the public check page shows: the sheet with the name and ID masked."""
    content = verification.content
    return {
        "number": verification.number,
        "kind": verification.kind.label,
        "name": mask_name(content["name"]),
        "id_masked": content["id_masked"],
        "title": content["title"],
        "body": content["body"],
        "years": content["years"],
        "result": content["result"],
        "issued_at": verification.issued_at,
        "standing": standing(verification),
        "valid": not verification.superseded
        and verification.status is not VerificationStatus.RETURNED,
    }


def as_json(verification: Verification) -> dict:
    """`flask verification show`: the `rules cycle` output, each year also with its rule set,
    registered hours and source (调入前 years too, not asked), who chose the years, the claims
    marked as in the applied speciality, the verdict with its reasons, person, title, status."""
    content = verification.content
    result = content["result"]
    keys = ("year", "rule_set", "general", "professional", "source", "source_label", "asked")
    counted_keys = ("counted_general", "counted_professional", "counted_total", "compliant")
    years = []
    for row in content["years"]:
        entry = {key: row.get(key, True if key == "asked" else None) for key in keys}
        entry.update({key: row[key] for key in counted_keys if key in row})
        years.append(entry)
    return {
        **result,
        "years": years,
        "verdict": "通过" if result["ok"] else "未通过",
        "years_choice": content.get("years_choice"),
        "speciality": content.get("speciality", []),
        "basis": content.get("basis"),
        "number": verification.number,
        "kind": verification.kind.value,
        "person": {
            "name": content["name"],
            "id_number": content["id_masked"],
            "unit": content["unit"],
        },
        "title": {
            "series": verification.series.name,
            "level": verification.level.label,
            "application_year": verification.application_year,
            "cross_major": verification.cross_major,
        },
        "policy": content["policy"],
        "body": content["body"],
        "issued_at": verification.issued_at.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
        "status": verification.status.value,
        "status_label": standing(verification),
        "superseded_by": verification.superseded_by.number if verification.superseded else None,
        "city_note": verification.city_note or None,
    }


def check_url(code: str, county: str | None = None) -> str:
    """The sheet's QR link, on its county's public pages."""
    return public.url("verification.check", county or scope.home_county(), code=code)


def sheet_pdf(verification: Verification, font=None) -> bytes:
    """The 学时验证单 PDF; raises fonts.FontNotFound when no CJK font is usable."""
    from portal.certificates.fonts import certificate_font
    from portal.certificates.pdf import render_pdf

    font = font or certificate_font()
    context = {
        "v": verification,
        "c": verification.content,
        "code": display_code(verification.code),
        "issued_on": verification.issued_at.astimezone(LOCAL_TZ).date().isoformat(),
        "standing": standing(verification),
    }
    return render_pdf(
        "verification/sheet.html",
        context,
        font,
        check_url(verification.code, verification.jurisdiction_code),
    )


def form_defaults(person: Professional, kind: VerificationKind) -> dict:
    """What the verification form starts with: this year's application, in the person's
    current series, for the next level up (an internal promotion: the current level), over
    the default years of that level."""
    year = application_year_default()
    title = person.titles[0] if person.titles else None
    level = TitleLevel.INTERMEDIATE
    if title is not None:
        level = title.level if kind is VerificationKind.INTERNAL else NEXT_LEVEL[title.level]
    default = default_years(person, kind, year, level)
    return {
        "kind": kind.value,
        "application_year": year,
        "first_year": default.first,
        "last_year": default.last,
        "series": str(title.series_id) if title else None,
        "level": level.value,
    }


def application_year_default() -> int:
    return current_year()
