"""The unit's dashboard at size (issue 13): the number of SQL statements of its page, of a
filtered, searched or later page, and of finding everyone short for the reminder, does not
grow with the number of people, whatever their states (drafts and waiting declarations are
evaluated from their claims, including works that may have counted elsewhere)."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal import rules
from portal.accounts.models import Role
from portal.dashboard import service
from portal.declarations import duplicates
from portal.declarations.models import Claim, DeclarationStatus
from portal.extensions import db
from portal.units.models import UnitType
from tests.perf.test_query_counts import FEW, MANY, captured, queries

YEAR = 2025
S = DeclarationStatus
PAPER = {
    "kind": "paper.journal",
    "facts": {"authorship": "first"},
    "subject": "professional",
    "details": {"title": "论继续教育", "date": f"{YEAR}-01-01"},
}
COURSEWARE = {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"}
# a training naming a plan (the unit's own, BA2025-0001, or a number no plan has): its marks look
# plans up
TRAINING = {"kind": "training", "facts": {"days": 2}, "subject": "professional"}
STATUSES = (None, S.DRAFT, S.SUBMITTED, S.NEEDS_EVIDENCE, S.REGISTERED, S.APPROVED, S.REJECTED)


@pytest.fixture
def county_unit(
    make_unit, make_user, make_professional, make_submitted_declaration, make_registered_declaration
):
    from portal.providers.models import PlanForm, PlanState, TrainingPlan
    from portal.units.models import Provider

    # an enterprise: the plan it filed is its staff's internal training (the marks ask whose
    # staff each person is)
    unit = make_unit(name="大单位", type=UnitType.PRIVATE_ENTERPRISE)
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    provider = Provider(name="测试继续教育基地", phone="62611533")
    db.session.add(provider)
    db.session.flush()
    db.session.add(
        TrainingPlan(
            provider_id=provider.id, title="培训", subject="professional",
            start_date=date(YEAR, 3, 1), end_date=date(YEAR, 3, 2), days=2, hours_per_day=6,
            form=PlanForm.FACE, state=PlanState.ACCEPTED, filing_no="BA2025-0001",
            filed_on=date(YEAR, 1, 1), filed_by_id=reviewer.id, unit_id=unit.id,
        )
    )  # fmt: skip
    db.session.commit()
    made = [0]

    def people(n):
        for _ in range(n):
            i = made[0] = made[0] + 1
            person = make_professional(unit=unit, account=i % 2 == 0)
            status = STATUSES[i % len(STATUSES)]
            if status in (S.REGISTERED, S.APPROVED, S.REJECTED):
                make_registered_declaration(person, YEAR, 30, 30 + i % 40, status=status)
            elif status is not None:
                paper = {**PAPER, "details": {**PAPER["details"], "doi": f"10.1000/{i % 7}"}}
                training = {
                    **TRAINING,
                    "details": {"plan_no": "BA2025-0001" if i % 3 else "BA2025-0002"},
                }
                make_submitted_declaration(
                    person,
                    year=YEAR,
                    claims=[COURSEWARE, paper, training],
                    status=status,
                    submitted_at=datetime(YEAR, 1, 2, tzinfo=UTC),
                )
        kind = rules.get_rule_set("anhui-2025").kind("paper.journal")
        for claim in db.session.scalars(sa.select(Claim).where(Claim.identity.is_(None))):
            claim.identity = duplicates.identity_of(kind, claim.details)
        db.session.commit()

    return unit, reviewer, people


URLS = (
    f"/dashboard/?year={YEAR}",
    f"/dashboard/?year={YEAR}&state=waiting",
    f"/dashboard/?year={YEAR}&state=draft",
    f"/dashboard/?year={YEAR}&state=short",
    f"/dashboard/?year={YEAR}&q=专技",
)


def test_dashboard_page_queries_do_not_grow(app, client, auth, county_unit):
    _unit, reviewer, people = county_unit
    auth.login(reviewer)
    people(FEW)
    few = [queries(app, client, url) for url in URLS]
    htmx = queries(app, client, URLS[1], headers={"HX-Request": "true"})
    people(MANY * 2)  # more than two pages of people
    assert [queries(app, client, url) for url in URLS] == few
    assert queries(app, client, URLS[1], headers={"HX-Request": "true"}) == htmx
    later = queries(app, client, f"/dashboard/?year={YEAR}&page=3")
    assert later == few[0]
    # the account (with its unit), the queue with the objections, the people with the counts
    # and the page's claims, what the declared hours read besides (the counted elsewhere, the
    # plans); the counts and the claims once had their own
    assert max(few) <= 5, few


def test_finding_everyone_short_does_not_grow(app, county_unit):
    unit, _reviewer, people = county_unit
    unit_id = unit.id

    def count():
        db.session.expire_all()
        with captured(app) as statements:
            short = service.short_people(unit_id, YEAR)
        return len(statements), len(short)

    people(FEW)
    count()  # the settings read once, then cached
    few, short_few = count()
    people(MANY * 2)
    many, short_many = count()
    assert short_many > short_few
    assert many == few
