"""Issue 22.2 (001 附件3: 公司内部培训不算做继续教育学时): under hefei-2021 a training an
enterprise unit filed for its own staff counts 0 with that reason, before submission and at
review; under anhui-2025 (000 三: units file their own trainings) it counts."""

import pytest

from portal.accounts.models import Role
from portal.declarations import service as declarations
from portal.declarations.models import ClaimDecision, DeclarationStatus
from portal.refusal import Refusal
from portal.review import service as review
from portal.units.models import UnitType


@pytest.fixture
def company(make_unit, make_user, make_plan, make_professional):
    unit = make_unit(name="示范县供电公司", type=UnitType.STATE_ENTERPRISE)
    clerk = make_user(Role.UNIT_REVIEWER, unit=unit)
    make_plan(clerk, unit_id=unit.id, filing_no="BA2024-0007")
    return unit, clerk, make_professional(unit=unit)


def _claim(kind, facts):
    return {"kind": kind, "facts": facts, "subject": "professional",
            "details": {"plan_no": "BA2024-0007"}}  # fmt: skip


HEFEI = _claim("training.decided", {"decided_hours": 24})
ANHUI = _claim("training", {"days": 4})


def test_hefei_counts_the_companys_own_training_zero(app, company, make_submitted_declaration):
    unit, clerk, person = company
    with app.test_request_context():
        draft = make_submitted_declaration(person, 2024, claims=[HEFEI], rule_set="hefei-2021",
                                           status=DeclarationStatus.DRAFT)  # fmt: skip
        found = declarations.evaluation(draft, store=False)
        (row,) = found.year.claims
        assert (row.counted_hours, row.reason) == (0, "internal")
        assert "公司内部培训不算做继续教育学时" in row.reason_text


def test_the_reviewer_sees_why_and_cannot_accept_it(
    app, company, make_submitted_declaration, make_user
):
    unit, clerk, person = company
    with app.test_request_context():
        submitted = make_submitted_declaration(person, 2024, claims=[HEFEI], rule_set="hefei-2021",
                                               unit_id=unit.id)  # fmt: skip
        declared, _ = review.declared_result(submitted)
        assert declared.claims[0].reason == "internal" and declared.professional == 0
        with pytest.raises(Refusal, match="公司内部培训"):
            review.decide_claim(clerk, submitted.claims[0], ClaimDecision.ACCEPTED)


def test_anhui_counts_it(app, company, make_submitted_declaration):
    unit, clerk, person = company
    with app.test_request_context():
        submitted = make_submitted_declaration(person, 2025, claims=[ANHUI], unit_id=unit.id)
        declared, _ = review.declared_result(submitted)
        assert (declared.claims[0].counted_hours, declared.claims[0].reason) == (24, None)
        review.decide_claim(clerk, submitted.claims[0], ClaimDecision.ACCEPTED)


def test_another_units_staff_at_the_companys_training_count_it(
    app, company, make_submitted_declaration, make_professional, make_unit
):
    outsider = make_professional(unit=make_unit(name="示范县中学"))
    with app.test_request_context():
        submitted = make_submitted_declaration(outsider, 2024, claims=[HEFEI],
                                               rule_set="hefei-2021")  # fmt: skip
        declared, _ = review.declared_result(submitted)
        assert (declared.claims[0].counted_hours, declared.claims[0].reason) == (24, None)
