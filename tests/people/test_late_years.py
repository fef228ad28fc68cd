"""补登记: the bureau opens a past year for one person, who declares it through the normal path
under that year's rule set."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.clock import current_year
from portal.declarations import service as declarations
from portal.declarations.models import Declaration, LateYear
from portal.extensions import db
from portal.refusal import Refusal
from tests.conftest import logged_in as login


@pytest.fixture
def world(make_unit, make_user, make_professional):
    unit = make_unit()
    return {
        "p": make_professional(unit=unit),
        "q": make_professional(unit=unit),
        "officer": make_user(Role.BUREAU_OFFICER),
        "ra": make_user(Role.UNIT_REVIEWER, unit=unit),
    }


def test_the_bureau_opens_a_past_year_and_the_person_declares_it(app, world):
    p, year = world["p"], current_year() - 3
    officer = login(app, world["officer"])
    response = officer.post(
        f"/people/{p.id}/late-years", data={"year": str(year), "note": "因病未能按时申报"}
    )
    assert response.status_code == 303
    assert f"{year}年度" in officer.get(f"/people/{p.id}").text
    me = login(app, p.user)
    assert f"填写{year}年度申报" in me.get("/declarations/").text
    assert me.post("/declarations/open", data={"year": year}).status_code in (302, 303)
    declaration = db.session.scalar(sa.select(Declaration).filter_by(professional_id=p.id))
    assert declaration.year == year
    expected = "hefei-2021" if year < 2025 else "anhui-2025"
    assert declaration.rule_set == expected  # that year's rule set
    # Only for that person: another cannot open the year.
    other = login(app, world["q"].user)
    assert other.post("/declarations/open", data={"year": year}).status_code == 422


def test_what_the_bureau_cannot_open(app, world, make_submitted_declaration):
    p, officer = world["p"], world["officer"]
    with pytest.raises(Refusal, match="无需补登记"):
        declarations.open_late_year(officer, p, current_year() - 1)
    with pytest.raises(Refusal, match="补登记年度应为"):
        declarations.open_late_year(officer, p, 1999)
    make_submitted_declaration(p, year=current_year() - 4)
    with pytest.raises(Refusal, match="已有申报记录"):
        declarations.open_late_year(officer, p, current_year() - 4)
    declarations.open_late_year(officer, p, current_year() - 3)
    with pytest.raises(Refusal, match="已开放补登记"):
        declarations.open_late_year(officer, p, current_year() - 3)
    with pytest.raises(Refusal) as refused:
        declarations.open_late_year(world["ra"], p, current_year() - 5)
    assert refused.value.status == 403


def test_a_unit_reviewer_may_not_open_one(app, world):
    response = login(app, world["ra"]).post(
        f"/people/{world['p'].id}/late-years", data={"year": str(current_year() - 3)}
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(LateYear.id))) == 0
