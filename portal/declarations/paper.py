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
    DeclarationStatus,
    ReviewingBody,
)
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusal import CONFLICT, INVALID, Refusal

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


def portal_first_year() -> int:
    """The first year registered through the portal in the county (this year when none)."""
    found = db.session.scalar(
        sa.select(sa.func.min(Declaration.year)).where(
            Declaration.source == DeclarationSource.PORTAL,
            Declaration.status == DeclarationStatus.REGISTERED,
        )
    )
    return found if found is not None else current_year()


def could_be_reviewed(year: int) -> bool:
    """Could the portal itself have reviewed this year (it is not before the county's first
    year registered through the portal)?"""
    return year >= portal_first_year()


def enter_paper_year(
    actor: User,
    person: Professional,
    year: int,
    general: int,
    professional: int,
    scan,
    *,
    registrar: str = "",
    registered_on: date | None = None,
    reason: str = "",
) -> Declaration:
    """Record one paper year with its scan (an uploaded file, checked as any evidence) and the
    booklet's own registering body and date (据纸质证书登记, never "reviewed and publicised");
    the year's rule set judges compliance. A year the portal could have reviewed is entered
    only by the bureau, with a written reason (shown on the certificate's verification page)."""
    if not FIRST_YEAR <= year < current_year():
        raise Refusal(
            f"纸质证书只能录入{FIRST_YEAR}年至{current_year() - 1}年的年度。", INVALID, field="year"
        )
    registrar, reason = (registrar or "").strip(), (reason or "").strip()
    if not registrar:
        raise Refusal("请填写纸质证书上的登记单位。", INVALID, field="registrar")
    if len(registrar) > 100:
        raise Refusal("登记单位不超过100字。", INVALID, field="registrar")
    if registered_on is None or registered_on.year < year or registered_on > local_today():
        raise Refusal(
            f"请填写纸质证书上的登记日期（{year}年以后、不晚于今天）。",
            INVALID,
            field="registered_on",
        )
    if could_be_reviewed(year):
        if actor.role is not Role.BUREAU_OFFICER:
            raise Refusal(
                f"{year}年度可以在本系统网上申报、核验，不能按纸质证书录入；"
                "确需补录的，由县人社局办理并写明理由。",
                CONFLICT,
                field="year",
            )
        if not reason:
            raise Refusal(
                f"{year}年度本系统可以核验，按纸质证书补录须写明理由。", INVALID, field="reason"
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
        paper_registrar=registrar,
        paper_registered_on=registered_on,
        paper_reason=reason[:500],
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
        detail=f"公需{general}学时，专业{professional}学时，"
        f"{'达标' if declaration.compliant else '未达标'}；据纸质证书登记：{registrar}"
        f"{registered_on:%Y-%m-%d}" + (f"；补录理由：{reason}" if reason else ""),
    )
    return declaration
