"""The demo's cycle verifications (issues 10 and 21): registered years made by the same
services a user's clicks call, and one issued verification per person, all under the default
reading (the yearly average, no year counting for more than two; no setting changed):

- 田野: 2023 short by 20 professional hours, the cycle's average reached: passes;
- 唐建华: a cross-major application whose marked speciality claims reach 400 hours: passes;
- 吕志刚: 2023 and 2024 empty, 2025 crammed (240 professional hours, 120 counted): fails;
- 彭丽华: appointed 2024, nothing in 2024, the whole two-year cycle crammed into 2025: fails
  for cramming (一个年度内突击完成);
- 冯丽: transferred in from another province in 2023: 2021 and 2022 read 调入前;
- 王晓梅: applies for 副高 (senior) and passes: sent to the city for confirmation.

And the two-step review on (the demo bureau's setting, turned on after the one-step years
above): 阎春生, who holds a 副高 title, declared 2025; 市教体局 passed the professional claims and
the year waits in the city officer's yearly queue (seed 003 五(二)).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from portal import clock
from portal.accounts.models import Professional, Role, User
from portal.board import service as board
from portal.clock import LOCAL_TZ
from portal.declarations.models import ClaimDecision, Declaration
from portal.extensions import db
from portal.review import service as review
from portal.settings import set_setting
from portal.settings.models import INSTANCE, Setting
from portal.verification import service
from portal.verification.models import Verification, VerificationKind

FIRST, LAST, APPLICATION = 2021, 2025, 2026
FULL = (30, 60)
SPECIALITY = "会计专业（财务管理）继续教育培训"
OTHER = "安全生产管理培训"
# person: {year: (general, professional) or (general, [(professional hours, title), ...])};
# a year not listed is left without a declaration.
HISTORY: dict[str, dict[int, tuple]] = {
    "田野": {2021: FULL, 2022: FULL, 2023: (30, 40), 2024: (30, 80), 2025: FULL},
    "唐建华": dict.fromkeys(range(FIRST, LAST + 1), (30, [(84, SPECIALITY), (24, OTHER)])),
    "吕志刚": {2021: FULL, 2022: FULL, 2025: (30, 240)},
    "彭丽华": {2025: (60, 150)},
    "冯丽": {2023: FULL, 2024: FULL, 2025: FULL},
    "王晓梅": {2021: FULL, 2022: FULL, 2023: FULL, 2025: FULL},  # 2024: the demo's own year
}
CROSS_MAJOR = {"唐建华"}
CITY_STEP = "阎春生"  # a 副高 holder's 2025 year, waiting for the city's second step


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LOCAL_TZ)


def _claims(year: int, general: int, professional) -> tuple[str, list]:
    """Claims that earn exactly these hours under the year's default rule set."""
    parts = professional if isinstance(professional, list) else [(professional, "专业技术培训")]
    if year < 2025:
        claims = [("public_course", "general", {"courses": general // 30}, "年度公需课")]
        claims += [
            ("training.decided", "professional", {"decided_hours": hours}, title)
            for hours, title in parts
            if hours
        ]
        return "hefei-2021", claims
    claims = [("courseware", "general", {"hours": min(general, 30)}, "公需科目网络课件")]
    if general > 30:  # beyond the courseware's 30: a training counted as general
        claims.append(("training", "general", {"days": (general - 30) // 6}, "公需科目专题培训"))
    for hours, title in parts:
        days = hours // 6  # anhui-2025 training: 6 hours a day
        while days > 0:
            claims.append(("training", "professional", {"days": min(days, 10)}, title))
            days -= 10
    return "anhui-2025", claims


def _reviewer(person: Professional, reviewers: dict[str, User], officer: User) -> User:
    if person.reviewed_by_bureau:
        return officer
    return next(r for r in reviewers.values() if r.unit_id == person.unit_id)


def _as_claims(year: int, specs: list) -> list:
    return [
        (kind, subject, facts, {"title": f"{year}年度{title}"})
        for kind, subject, facts, title in specs
    ]


def _filed_elsewhere(claim) -> dict:
    """The demo's professional trainings carry no county filing number: accepted as held at a
    provincial base (issue 22.1: an unfiled training counts only so, with the why)."""
    if claim.kind.startswith("training") and claim.subject == "professional":
        return {"reason": "省级继续教育基地培训，结业证书已核验", "filed_elsewhere": "provincial"}
    return {}


def _register_years(people, reviewers, officer, declare) -> None:
    for year in range(FIRST, LAST + 1):
        approved = []
        for name, years in HISTORY.items():
            person = people[name]
            if year not in years or _declared(person, year):
                continue
            rule_set, specs = _claims(year, *years[year])
            declaration = declare(person, year, rule_set, _as_claims(year, specs), _at(year, 11, 3))
            reviewer = _reviewer(person, reviewers, officer)
            with clock.travel(_at(year, 11, 5)):
                for claim in declaration.claims:
                    review.decide_claim(
                        reviewer, claim, ClaimDecision.ACCEPTED, **_filed_elsewhere(claim)
                    )
                review.approve(reviewer, declaration, "材料齐全，予以认定。")
            approved.append(declaration.id)
        if not approved:
            continue
        with clock.travel(_at(year, 11, 6)):
            board.open_batch(
                officer,
                approved,
                date(year, 11, 9),
                f"示范县{year}年度专业技术人员继续教育学时公示（补充批次）",
            )
        with clock.travel(_at(year, 11, 30, 16)):
            board.close_due(user=officer)


def _declared(person: Professional, year: int) -> bool:
    return (
        db.session.scalar(sa.select(Declaration.id).filter_by(professional_id=person.id, year=year))
        is not None
    )


def _issue(person: Professional, officer: User) -> None:
    """The verification an officer issues on opening the page: the defaults (the next level
    up, its default years), the speciality's claims marked for a cross-major application."""
    title = person.titles[0]
    level = service.NEXT_LEVEL[title.level]
    default = service.default_years(person, VerificationKind.CYCLE, APPLICATION, level)
    cross = person.name in CROSS_MAJOR
    marked: tuple[int, ...] = ()
    if cross:
        candidates = service.speciality_candidates(person, default.first, default.last)
        marked = tuple(c.id for c in candidates if SPECIALITY in c.title)
    request = service.Request(
        kind=VerificationKind.CYCLE,
        series=title.series,
        level=level,
        application_year=APPLICATION,
        first_year=default.first,
        last_year=default.last,
        cross_major=cross,
        speciality_claims=marked,
    )
    with clock.travel(_at(APPLICATION, 3, 10)):
        service.issue(officer, person, request)


def _city_step(person: Professional, declare) -> None:
    """Two steps on (the bureau's setting): the 副高 holder's 2025 year, its professional claims
    passed by the authority owning the series; the city's second step waits."""
    if db.session.get(Setting, (INSTANCE, "TWO_STEP_REVIEW")) is None:
        set_setting("TWO_STEP_REVIEW", True)
    if _declared(person, 2025):
        return
    rule_set, specs = _claims(2025, *FULL)
    declaration = declare(person, 2025, rule_set, _as_claims(2025, specs), _at(2025, 11, 18))
    authority = db.session.scalar(
        sa.select(User).where(
            User.role == Role.AUTHORITY_OFFICER,
            User.authority_id == declaration.first_step_authority_id,
        )
    )
    with clock.travel(_at(2025, 11, 24)):
        for claim in declaration.claims:
            if claim.subject == "professional":
                review.decide_claim(
                    authority, claim, ClaimDecision.ACCEPTED, **_filed_elsewhere(claim)
                )
        review.pass_professional(authority, declaration, "专业科目证明材料齐全，予以认定。")


def load(people: dict[str, Professional], reviewers: dict[str, User], officer: User, declare):
    """Registered years and one verification per person (skipped when already there); then
    the two-step review on and a senior holder's year at the city's step."""
    _register_years(people, reviewers, officer, declare)
    for name in HISTORY:
        person = people[name]
        done = db.session.scalar(sa.select(Verification.id).filter_by(professional_id=person.id))
        if done is None:
            _issue(person, officer)
    _city_step(people[CITY_STEP], declare)
