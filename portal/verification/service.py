"""Cycle verification (学时验证): the years of a cycle from the person's registered years, the
`rules cycle` computation, the issued (immutable) verification and the city's confirmation.

Which years, by default: a title application looks at the tenure cycle from the year of the
appointment (聘任, else 取得) date of the person's latest title to the application year; an
internal promotion at the 3 years ending with the application year (seed 000 五(四)). The
officer may change the years. A year without registered hours is in the cycle as 0 and 0
("missing"), under the rule set that year uses by default.

Cross-major (seed 000): the professional hours registered in the cycle stand for the hours in
the applied speciality, against 400 / 200 / 100 for a senior / intermediate / junior title.

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
from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from portal import rules
from portal.accounts.models import Professional, Role, User, mask_id_number, mask_name
from portal.audit.service import record
from portal.certificates.service import DEFAULT_COUNTY_CODE, bureau_name
from portal.clock import LOCAL_TZ, current_year
from portal.extensions import db
from portal.models_base import utcnow
from portal.notifications.service import notify
from portal.people.service import SOURCE_LABELS, registered_years
from portal.refusal import CONFLICT, INVALID, Refusal, forbidden, not_found
from portal.settings import get_setting
from portal.units.models import TitleLevel, TitleSeries
from portal.verification.models import (
    SENIOR_LEVELS,
    Verification,
    VerificationKind,
    VerificationStatus,
)

MISSING = "missing"
SOURCES = {**SOURCE_LABELS, MISSING: "无登记"}
INTERNAL_YEARS = 3
MAX_YEARS = 10
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


@dataclass(frozen=True)
class YearRow:
    year: int
    rule_set: str
    general: int
    professional: int
    source: str  # portal | missing (and whatever registered_years adds)

    @property
    def total(self) -> int:
        return self.general + self.professional

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)


@dataclass(frozen=True)
class Computation:
    rows: list[YearRow]
    result: rules.CycleResult
    policy: rules.CyclePolicy
    next_year: dict[str, int] = field(default_factory=dict)  # what the next year must make up

    @property
    def missing_years(self) -> list[int]:
        return [row.year for row in self.rows if row.source == MISSING]


# --- the bureau's reading, the years ---------------------------------------------------------


def policy() -> rules.CyclePolicy:
    """The bureau's reading of "不得在一个年度内突击完成" (settings CYCLE_MAKEUP, CYCLE_CAP_FACTOR)."""
    if get_setting("CYCLE_MAKEUP"):
        return rules.CyclePolicy(cramming="makeup")
    return rules.CyclePolicy(cramming="cap", cap_factor=get_setting("CYCLE_CAP_FACTOR"))


def policy_text(value: rules.CyclePolicy) -> str:
    if value.cramming == "makeup":
        return "某年度不足的学时可顺延至下一年度补学，不得突击完成"
    return f"不得在一个年度内突击完成：单一年度学时最多按{value.cap_factor:g}个年度的要求计入"


def cycle_start(person: Professional) -> int | None:
    """The year the tenure cycle starts: the latest title's appointment (else obtained) date."""
    for title in person.titles:  # latest obtained first
        day = title.appointed or title.obtained
        if day is not None:
            return day.year
    return None


def default_years(
    person: Professional, kind: VerificationKind, application_year: int
) -> tuple[int, int]:
    if kind is VerificationKind.INTERNAL:
        return application_year - INTERNAL_YEARS + 1, application_year
    start = cycle_start(person)
    if start is None or start > application_year:
        start = application_year - 4
    return max(start, application_year - MAX_YEARS + 1), application_year


def check_years(kind: VerificationKind, first: int, last: int) -> None:
    if first > last:
        raise Refusal("起始年度不能晚于截止年度。", INVALID, field="first_year")
    if last - first + 1 > MAX_YEARS:
        raise Refusal(f"验证年度不超过{MAX_YEARS}年。", INVALID, field="first_year")
    if kind is VerificationKind.INTERNAL and last - first + 1 != INTERNAL_YEARS:
        raise Refusal("单位内部晋升核查最近3个年度。", INVALID, field="first_year")


def cycle_rows(person: Professional, first: int, last: int) -> list[YearRow]:
    """Every year of the cycle: its registered hours, or 0 and 0 when nothing is registered."""
    registered = {y.year: y for y in registered_years(person)}
    rows = []
    for year in range(first, last + 1):
        found = registered.get(year)
        if found is not None:
            rows.append(
                YearRow(year, found.rule_set, found.general, found.professional, found.source)
            )
        else:
            rows.append(YearRow(year, _default_rule_set(year), 0, 0, MISSING))
    return rows


def _default_rule_set(year: int) -> str:
    try:
        return rules.rule_set_for_year(year).id
    except rules.RuleError as error:
        raise Refusal(str(error), INVALID, field="first_year") from error


def compute(person: Professional, request: Request) -> Computation:
    """The cycle's verdict from the person's registered years (nothing is stored)."""
    check_years(request.kind, request.first_year, request.last_year)
    rows = cycle_rows(person, request.first_year, request.last_year)
    chosen = policy()
    cross = None
    if request.cross_major:
        cross = rules.CrossMajor(CROSS_LEVELS[request.level], sum(row.professional for row in rows))
    try:
        result = rules.verify_cycle(
            [rules.CycleYear(r.year, r.rule_set, r.general, r.professional) for r in rows],
            chosen,
            cross,
        )
    except rules.RuleError as error:
        raise Refusal(str(error), INVALID) from error
    last = result.years[-1]
    next_year = {name: c.short for name, c in last.components.items() if c.required and c.short > 0}
    return Computation(rows, result, chosen, next_year)


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


def _next_number(now: datetime) -> str:
    county = current_app.config.get("CERTIFICATE_COUNTY_CODE") or DEFAULT_COUNTY_CODE
    prefix = f"YZ{county}-{now.astimezone(LOCAL_TZ).year}-"
    last = db.session.scalar(
        sa.select(Verification.number)
        .where(Verification.number.like(prefix + "%"))
        .order_by(Verification.number.desc())
        .limit(1)
    )
    return prefix + f"{int(last.removeprefix(prefix)) + 1 if last else 1:06d}"


def _number(verification: Verification, now: datetime) -> None:
    """Add with the next number; a number taken at the same moment is retried with the next."""
    for _attempt in range(5):
        verification.number = _next_number(now)
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
        **sheet_data(computation),
    }


NEXT_YEAR_LABELS = {"general": "公需科目", "professional": "专业科目", "total": "总学时"}


def sheet_data(computation: Computation) -> dict:
    """The figures a page or the sheet shows (plain data, as kept in Verification.content)."""
    result = computation.result
    chosen = computation.policy
    return {
        "policy": {"cramming": chosen.cramming, "cap_factor": chosen.cap_factor},
        "policy_text": policy_text(chosen),
        "years": [
            {
                "year": row.year,
                "rule_set": row.rule_set,
                "general": row.general,
                "professional": row.professional,
                "total": row.total,
                "source": row.source,
                "source_label": row.source_label,
                **counted.as_dict(),
                "short": {k: v for k, v in counted.short.items() if v > 0},
                "made_up": {k: v for k, v in counted.made_up.items() if v > 0},
            }
            for row, counted in zip(computation.rows, result.years, strict=True)
        ],
        "required": dict(result.required),
        "counted": dict(result.counted),
        "missing_years": computation.missing_years,
        "next_year": computation.next_year,
        "result": result.as_dict(),
    }


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
    """`flask verification show`: the `rules cycle` output (each year also with its rule set,
    registered hours and source) plus person, title and status."""
    content = verification.content
    result = content["result"]
    registered = {row["year"]: row for row in content["years"]}
    return {
        **result,
        "years": [
            {
                **year,
                **{
                    key: registered[year["year"]][key]
                    for key in ("rule_set", "general", "professional", "source")
                },
            }
            for year in result["years"]
        ],
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


def check_url(code: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("verification.check", code=code)
    return url_for("verification.check", code=code, _external=True)


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
    return render_pdf("verification/sheet.html", context, font, check_url(verification.code))


def form_defaults(person: Professional, kind: VerificationKind) -> dict:
    """What the verification form starts with: this year's application over the default cycle,
    for the person's current title."""
    year = application_year_default()
    first, last = default_years(person, kind, year)
    title = person.titles[0] if person.titles else None
    return {
        "kind": kind.value,
        "application_year": year,
        "first_year": first,
        "last_year": last,
        "series": str(title.series_id) if title else None,
        "level": title.level.value if title else TitleLevel.INTERMEDIATE.value,
    }


def application_year_default() -> int:
    return current_year()
