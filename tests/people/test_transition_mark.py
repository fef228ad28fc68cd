"""The transition mark (新人新办法、老人老办法, seed 003): per person, set by the bureau one by one
or by the bulk rule "title obtained before 2025-06-12"; the global setting switches the
transition itself on or off."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts import people
from portal.accounts.models import PersonTitle, Role
from portal.declarations import service as declarations
from portal.extensions import db
from portal.refusal import Refusal
from portal.units.models import Authority, TitleLevel, TitleSeries
from tests.conftest import logged_in as login


@pytest.fixture
def series(ctx):
    row = TitleSeries(name="中小学教师", authority=Authority(name="县教体局"))
    db.session.add(row)
    db.session.commit()
    return row


def titled(make_professional, make_unit, series, obtained):
    person = make_professional(unit=make_unit())
    person.titles.append(
        PersonTitle(series=series, level=TitleLevel.INTERMEDIATE, obtained=obtained)
    )
    db.session.commit()
    return person


@pytest.mark.parametrize(
    ("switch", "marked", "electable"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_who_may_elect_the_old_rules(app, make_professional, switch, marked, electable):
    app.config["ALLOW_TRANSITION_RULE_SET"] = switch
    person = make_professional(keeps_old_rules=marked)
    ids = [r.id for r in declarations.electable_rule_sets(2025, person)]
    assert ids == (["anhui-2025", "hefei-2021"] if electable else ["anhui-2025"])


def test_an_unmarked_person_cannot_open_under_the_old_rules(client, make_professional, app):
    person = make_professional()
    with pytest.raises(Refusal):
        declarations.open_declaration(person.user, 2025, "hefei-2021")


def test_bulk_rule_marks_titles_obtained_before_the_cutoff(
    make_professional, make_unit, make_user, series
):
    old = titled(make_professional, make_unit, series, date(2019, 9, 1))
    new = titled(make_professional, make_unit, series, date(2025, 6, 12))
    undated = titled(make_professional, make_unit, series, None)
    result = people.mark_old_rules_by_title(make_user(Role.BUREAU_OFFICER))
    assert result == {"marked": 1, "undated": 1, "before": "2025-06-12"}
    assert (old.keeps_old_rules, new.keeps_old_rules, undated.keeps_old_rules) == (
        True,
        False,
        False,
    )
    with pytest.raises(Refusal):
        people.mark_old_rules_by_title(make_user(Role.UNIT_REVIEWER))


def test_bulk_rule_from_the_command_line(runner, make_professional, make_unit, series):
    person = titled(make_professional, make_unit, series, date(2010, 1, 1))
    result = runner.invoke(args=["people", "mark-transition", "--before", "2025-06-12"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["marked"] == 1
    db.session.refresh(person)
    assert person.keeps_old_rules
    assert runner.invoke(args=["people", "mark-transition", "--before", "x"]).exit_code == 2


def test_bureau_sets_the_mark_on_the_page(app, make_professional, make_unit, make_user, series):
    person = make_professional(unit=make_unit())
    officer = login(app, make_user(Role.BUREAU_OFFICER))
    assert "新人新办法" in officer.get(f"/people/{person.id}").text
    response = officer.post(f"/people/{person.id}/transition-mark", data={"keeps_old_rules": "y"})
    assert response.status_code == 303
    db.session.refresh(person)
    assert person.keeps_old_rules
    titled(make_professional, make_unit, series, date(2001, 1, 1))
    bulk = officer.post("/people/transition-mark", data={"before": "2025-06-12"})
    assert bulk.status_code == 303
    assert "已为1人设置" in officer.get("/people/").text
    reviewer = login(app, make_user(Role.UNIT_REVIEWER, unit=person.unit))
    refused = reviewer.post(f"/people/{person.id}/transition-mark", data={})
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(PersonTitle.id)) is not None
