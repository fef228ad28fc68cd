"""A unit's year: who has not declared, who is short of the requirement (and by how much),
what waits in the review queue and for how long, open objections; reminders to everyone short.

Hours per person: the approved hours once reviewed (approved, publicised, registered); the
hours as declared (by the rules engine) while a declaration is a draft or waits for review;
none after a rejection or revocation. The requirement is the year's rule set's (90/60, or
30/60 under hefei-2021), for the declaration's rule set when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from portal import rules
from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.audit.service import record
from portal.board.models import Objection, ObjectionStatus
from portal.clock import LOCAL_TZ, local_today
from portal.declarations.models import Declaration, DeclarationStatus
from portal.extensions import db
from portal.notifications.service import notify
from portal.refusal import forbidden
from portal.review.service import declared_result
from portal.units.models import Unit

REVIEWED = (DeclarationStatus.APPROVED, DeclarationStatus.PUBLICISED, DeclarationStatus.REGISTERED)
WAITING = (
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.NEEDS_EVIDENCE,
    DeclarationStatus.PROFESSIONAL_CHECKED,
)
NO_HOURS = (DeclarationStatus.REJECTED, DeclarationStatus.REVOKED)


@dataclass
class PersonYear:
    person: Professional
    declaration: Declaration | None
    general: int = 0
    professional: int = 0
    requirement: rules.Requirement = field(default_factory=lambda: rules.Requirement(0, 60, 90))

    @property
    def total(self) -> int:
        return self.general + self.professional

    @property
    def declared(self) -> bool:
        return (
            self.declaration is not None and self.declaration.status is not DeclarationStatus.DRAFT
        )

    @property
    def short_total(self) -> int:
        return max(0, self.requirement.total - self.total)

    @property
    def short_professional(self) -> int:
        return max(0, self.requirement.professional - self.professional)

    @property
    def short_general(self) -> int:
        return max(0, self.requirement.general - self.general)

    @property
    def short(self) -> bool:
        return bool(self.short_total or self.short_professional or self.short_general)

    def shortfall_text(self) -> str:
        parts = []
        if self.short_total:
            parts.append(f"总学时差{self.short_total}学时")
        if self.short_professional:
            parts.append(f"专业科目差{self.short_professional}学时")
        if self.short_general:
            parts.append(f"公需科目差{self.short_general}学时")
        return "，".join(parts)


@dataclass
class Waiting:
    declaration: Declaration
    days: int


@dataclass
class Overview:
    year: int
    unit: Unit
    people: list[PersonYear]
    queue: list[Waiting]
    objections: list[Objection]

    @property
    def not_declared(self) -> list[PersonYear]:
        return [p for p in self.people if not p.declared]

    @property
    def short(self) -> list[PersonYear]:
        return [p for p in self.people if p.short]


def _require_unit_reviewer(user: User) -> None:
    if not user.is_authenticated or user.role is not Role.UNIT_REVIEWER or user.unit_id is None:
        raise forbidden("只有单位经办人可以查看本单位的学时情况。")


def person_year(person: Professional, declaration: Declaration | None, year: int) -> PersonYear:
    rule_set_id = declaration.rule_set if declaration else rules.rule_set_for_year(year).id
    entry = PersonYear(person, declaration, requirement=rules.get_rule_set(rule_set_id).requirement)
    if declaration is None or declaration.status in NO_HOURS:
        return entry
    if declaration.status in REVIEWED:
        entry.general = declaration.general_hours or 0
        entry.professional = declaration.professional_hours or 0
        return entry
    result, _error = declared_result(declaration)
    if result is not None:
        entry.general, entry.professional = result.general, result.professional
    return entry


def people_years(unit_id: int | None, year: int) -> list[PersonYear]:
    """Every confirmed person of the unit (None: the whole county) with the year's hours."""
    query = (
        sa.select(Professional, Declaration)
        .outerjoin(
            Declaration,
            sa.and_(Declaration.professional_id == Professional.id, Declaration.year == year),
        )
        .where(Professional.status == PersonStatus.CONFIRMED)
        .order_by(Professional.name, Professional.id)
        # drafts and waiting declarations are evaluated from their claims: load them at once
        .options(selectinload(Declaration.claims))
    )
    if unit_id is not None:
        query = query.where(Professional.unit_id == unit_id)
    return [person_year(p, d, year) for p, d in db.session.execute(query).all()]


def unit_overview(user: User, year: int, today: date | None = None) -> Overview:
    _require_unit_reviewer(user)
    today = today or local_today()
    people = people_years(user.unit_id, year)
    waiting = db.session.scalars(
        sa.select(Declaration)
        .join(Professional, Declaration.professional_id == Professional.id)
        .where(Professional.unit_id == user.unit_id, Declaration.status.in_(WAITING))
        .order_by(Declaration.submitted_at, Declaration.id)
        .options(contains_eager(Declaration.professional))
    ).all()
    queue = [
        Waiting(
            d, (today - d.submitted_at.astimezone(LOCAL_TZ).date()).days if d.submitted_at else 0
        )
        for d in waiting
    ]
    objections = db.session.scalars(
        sa.select(Objection)
        .join(Declaration, Objection.declaration_id == Declaration.id)
        .join(Professional, Declaration.professional_id == Professional.id)
        .where(Professional.unit_id == user.unit_id, Objection.status == ObjectionStatus.OPEN)
        .order_by(Objection.created_at)
        .options(contains_eager(Objection.declaration).contains_eager(Declaration.professional))
    ).all()
    return Overview(year, user.unit, people, queue, list(objections))


def _remind(entries: list[PersonYear], year: int) -> int:
    sent = 0
    for entry in entries:
        sent += notify(
            [entry.person.user],
            "reminder.short",
            f"提醒：您{year}年度继续教育学时尚未达到要求（{entry.shortfall_text()}），请按时完成并申报。",
            "declarations.index",
        )
    return sent


def remind_short(user: User, year: int) -> int:
    """One in-app reminder to everyone of the unit who is short; returns how many were sent."""
    _require_unit_reviewer(user)
    short = [p for p in people_years(user.unit_id, year) if p.short]
    sent = _remind(short, year)
    record("reminder.sent", user.unit, user=user, detail=f"{year}年度，提醒{sent}人")
    return sent


def remind_county(year: int) -> int:
    """The periodic reminder: everyone in the county who is short of the year's requirement."""
    short = [p for p in people_years(None, year) if p.short]
    sent = _remind(short, year)
    record("reminder.sent", None, detail=f"{year}年度定时提醒，提醒{sent}人")
    return sent
