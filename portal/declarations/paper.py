"""Paper years (纸质证书录入): a year from before the portal, entered by the bureau (or the unit for
its people) from the paper 继续教育证书 — registered 公需 and 专业 hours and a scan as evidence.

A paper year is a Declaration with source "paper", registered from the start through the
lifecycle's `enter_paper` move, so that the certificate and cycle verification read it like
any registered year. `reviewer` says who entered it. Operations flush, never commit.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal import rules
from portal.accounts.models import Professional, Role, User
from portal.audit.service import record
from portal.clock import current_year, local_today
from portal.declarations import evidence as files
from portal.declarations import lifecycle
from portal.declarations.lifecycle import Action
from portal.declarations.models import (
    Claim,
    Declaration,
    DeclarationSource,
    ReviewingBody,
)
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import INVALID, Refusal

PAPER_KIND = "paper_certificate"  # the one claim that carries the scan; never evaluated
FIRST_YEAR = 2000


def unit_in(actor: User, person: Professional, year: int):
    """The unit the year is recorded under: the person's employment on 31 December of the year;
    without a period that covers it (histories start when the portal did), the entering unit,
    or for the bureau the person's current unit."""
    day = date(year, 12, 31)
    for employment in person.employments:
        if employment.started_on <= day and (
            employment.ended_on is None or employment.ended_on >= day
        ):
            return employment.unit
    if actor.role is Role.UNIT_REVIEWER:
        return actor.unit
    return person.unit


def enter_paper_year(
    actor: User,
    person: Professional,
    year: int,
    general: int,
    professional: int,
    scan,
) -> Declaration:
    """Record one paper year with its scan (an uploaded file, checked as any evidence); the
    year's rule set judges compliance."""
    if not FIRST_YEAR <= year < current_year():
        raise Refusal(
            f"纸质证书只能录入{FIRST_YEAR}年至{current_year() - 1}年的年度。", INVALID, field="year"
        )
    for value, field in ((general, "general"), (professional, "professional")):
        if value is None or value < 0 or value > 1000:
            raise Refusal("学时应为0–1000之间的整数。", INVALID, field=field)
    checked = files.check_file(files.read_upload(scan), getattr(scan, "filename", None))
    existing = db.session.scalar(
        sa.select(Declaration).where(
            Declaration.professional_id == person.id, Declaration.year == year
        )
    )
    if existing is not None:
        raise Refusal(
            f"{year}年度已有申报记录（{existing.status.label}），不能再录入纸质证书。",
            INVALID,
            field="year",
        )
    rule_set = rules.rule_set_for_year(year)
    unit = unit_in(actor, person, year)
    declaration = Declaration(
        professional=person,
        year=year,
        rule_set=rule_set.id,
        source=DeclarationSource.PAPER,
        unit=unit,
        reviewing_body=(
            ReviewingBody.UNIT if actor.role is Role.UNIT_REVIEWER else ReviewingBody.BUREAU
        ),
        reviewer=actor,
        reviewed_at=utcnow(),
        review_note="根据纸质继续教育证书录入",
        general_hours=general,
        professional_hours=professional,
        total_hours=general + professional,
        compliant=rule_set.requirement.met(general, professional),
        registered_at=utcnow(),
        registered_on=local_today(),
    )
    claim = Claim(
        position=0,
        kind=PAPER_KIND,
        subject="general",
        details={"title": f"{year}年度继续教育证书（纸质）"},
        hours=general + professional,
        full_year=False,
        counted_general=general,
        counted_professional=professional,
    )
    declaration.claims.append(claim)
    db.session.add(declaration)
    db.session.flush()  # a draft, for the one step the lifecycle allows from it
    lifecycle.transition(actor, declaration, Action.ENTER_PAPER)
    db.session.flush()
    files.store(claim, checked, actor.id)
    record(
        "declaration.paper_entered",
        declaration,
        user=actor,
        detail=f"公需{general}学时，专业{professional}学时，{'达标' if declaration.compliant else '未达标'}",
    )
    return declaration
