"""The demo's cycle verifications (issue 10): five registered years for four people, made by
the same services a user's clicks call, and one issued verification each:

- 唐建华: every year full, passes;
- 吕志刚: 2023 and 2024 empty, 2025 crammed (240 professional hours), fails;
- 田野: 2023 short by 20 professional hours, made up by 2024, passes;
- 王晓梅: applies for 副高 (senior) and passes: sent to the city for confirmation.

The demo bureau reads "不得突击完成" as seeds 000 and 001 do: a shortfall may be made up by the
next year only (setting CYCLE_MAKEUP).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import g

from portal import clock
from portal.accounts.models import Professional, User
from portal.board import service as board
from portal.clock import LOCAL_TZ
from portal.declarations.models import ClaimDecision, Declaration
from portal.extensions import db
from portal.review import service as review
from portal.settings.models import Setting
from portal.units.models import TitleLevel
from portal.verification import service
from portal.verification.models import Verification, VerificationKind

FIRST, LAST, APPLICATION = 2021, 2025, 2026
FULL = (30, 60)
# person: {year: (general, professional)}; a year not listed is left without a declaration.
HISTORY = {
    "唐建华": dict.fromkeys(range(FIRST, LAST + 1), FULL),
    "吕志刚": {2021: FULL, 2022: FULL, 2025: (30, 240)},
    "田野": {2021: FULL, 2022: FULL, 2023: (30, 40), 2024: (30, 80), 2025: FULL},
    "王晓梅": {2021: FULL, 2022: FULL, 2023: FULL, 2025: FULL},  # 2024: the demo's own year
}
LEVELS = {"王晓梅": TitleLevel.DEPUTY_SENIOR}


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LOCAL_TZ)


def _claims(year: int, general: int, professional: int) -> tuple[str, list]:
    """Claims that earn exactly these hours under the year's default rule set."""
    if year < 2025:
        claims = [("public_course", "general", {"courses": 1}, "年度公需课")]
        if professional:
            claims.append(
                ("training.decided", "professional", {"decided_hours": professional}, "专业培训")
            )
        return "hefei-2021", claims
    claims = [("courseware", "general", {"hours": general}, "公需科目网络课件")]
    days = professional // 6  # anhui-2025 training: 6 hours a day
    while days > 0:
        claims.append(("training", "professional", {"days": min(days, 10)}, "专业技术培训"))
        days -= 10
    return "anhui-2025", claims


def _reviewer(person: Professional, reviewers: dict[str, User], officer: User) -> User:
    if person.reviewed_by_bureau:
        return officer
    return next(r for r in reviewers.values() if r.unit_id == person.unit_id)


def _register_years(people, reviewers, officer, declare) -> None:
    for year in range(FIRST, LAST + 1):
        approved = []
        for name, years in HISTORY.items():
            person = people[name]
            if year not in years or _declared(person, year):
                continue
            rule_set, specs = _claims(year, *years[year])
            claims = [
                (kind, subject, facts, {"title": f"{year}年度{title}"})
                for kind, subject, facts, title in specs
            ]
            declaration = declare(person, year, rule_set, claims, _at(year, 11, 3))
            reviewer = _reviewer(person, reviewers, officer)
            with clock.travel(_at(year, 11, 5)):
                for claim in declaration.claims:
                    review.decide_claim(reviewer, claim, ClaimDecision.ACCEPTED)
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


def load(people: dict[str, Professional], reviewers: dict[str, User], officer: User, declare):
    """Registered years and one verification per person (skipped when already there)."""
    if db.session.get(Setting, "CYCLE_MAKEUP") is None:
        db.session.add(Setting(key="CYCLE_MAKEUP", value={"value": True}))  # as set_setting
        g.pop("_settings", None)
    _register_years(people, reviewers, officer, declare)
    for name in HISTORY:
        person = people[name]
        done = db.session.scalar(sa.select(Verification.id).filter_by(professional_id=person.id))
        if done is not None:
            continue
        title = person.titles[0]
        request = service.Request(
            kind=VerificationKind.CYCLE,
            series=title.series,
            level=LEVELS.get(name, title.level),
            application_year=APPLICATION,
            first_year=FIRST,
            last_year=LAST,
        )
        with clock.travel(_at(APPLICATION, 3, 10)):
            service.issue(officer, person, request)
