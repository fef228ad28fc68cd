"""Separation, proven (issue 24.2): the access table of tests/test_access.py run across counties.

The world of test_access.py is county A (the install's, 341822). County B (341821, the same
city) gets an actor for every staff role and a professional; a city officer of another city
(合肥市) joins them. Each of them, against every route of the access table:

- a route naming an object of county A (a person, declaration, claim, evidence, batch,
  objection, verification, unit, plan, import, move, registration request, workday override,
  job) is refused: 404, or 403 where the role is refused anyway — never a page, never a 500;
- every other page they may open (lists, searches, counts, exports) shows nothing of county A:
  every name of county A's people, units, staff, batch and plan carries the marker "甲县",
  which no response to them (spreadsheets opened) may contain.

The provider and authority officer of B belong to the same provider and authority as A's: a
shared directory entry opens nothing of another county.
"""

import io
import json
import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import Professional, Role, User
from portal.extensions import db
from portal.units.models import Provider, TitleSeries, Unit
from tests.jurisdictions.conftest import CITY, OTHER_CITY, A, B
from tests.test_access import ROUTES, client_as, outcome

MARK = "甲县"

# Each foreign actor and the actor of county A whose row of the access table it follows.
FOREIGN = {
    "officer_b": "officer",
    "reviewer_b": "RA",
    "provider_b": "provider",
    "authority_b": "authority",
    "person_b": "Q",
    "city_other": "city",
}
# The placeholders of the access table that name a county-owned object (of county A here).
COUNTY_OWNED = {
    "decl", "claim", "evidence", "person", "unit", "staff", "batch", "publicised", "objection",
    "override", "plan", "import", "job", "move", "verification", "held",
}  # fmt: skip
# The public pages answer per county by their own address (tests/jurisdictions/test_public.py).
PUBLIC = {"board", "certificates", "verification.check", "api"}
# More pages that take a search: each searched for county A's marker and ID numbers.
SEARCHES = [
    "/people/?q={mark}",
    "/people/?q={id_number}",
    "/review/?q={mark}",
    "/review/people?q={mark}",
    "/admin/units?q={mark}",
    "/providers/plans/search?q={mark}",
    "/providers/filings",
    "/providers/unmatched",
    "/providers/courseware",
    "/verification/",
    "/board/batches",
    "/board/objections",
    "/people/moves",
    "/people/evidence-usage",
    "/workdays/",
    "/stats/?year=2025",
    "/stats/?year=2025&unit_q={mark}",
    "/stats/units?unit_q={mark}",
    "/stats/export.xlsx?year=2025",
    "/certificates/bulk",
    "/exchange/",
    "/notifications/",
    "/review/first-steps",
]


@pytest.fixture
def across(app, world, two_counties, make_unit, make_user, make_professional):
    """County A's world marked, county B's actors added."""
    for person in Professional.query.all():
        person.name = f"{MARK}{person.name}"
    for unit in Unit.query.all():
        unit.name = f"{MARK}{unit.name}"
    for user in User.query.filter(User.role.notin_([Role.ADMIN, Role.AUDITOR])):
        user.name = f"{MARK}{user.name}"
    city = User.query.filter_by(role=Role.CITY_OFFICER).one()
    city.jurisdiction_code, city.name = CITY, "市局经办人"  # the city officer belongs to the city
    from portal.board.models import PublicityBatch
    from portal.providers.models import TrainingPlan

    PublicityBatch.query.one().title = f"{MARK}公示"
    TrainingPlan.query.one().title = f"{MARK}培训"
    db.session.commit()

    provider = Provider.query.one()
    authority = TitleSeries.query.one().authority
    unit_b = make_unit(name="郎溪县第一中学", jurisdiction_code=B, county="郎溪县")
    person_b = make_professional(unit=unit_b, jurisdiction_code=B, name="郎溪人")
    person_b.user.jurisdiction_code = B
    actors = {
        "officer_b": make_user(Role.BUREAU_OFFICER, jurisdiction_code=B, name="郎溪经办人"),
        "reviewer_b": make_user(Role.UNIT_REVIEWER, unit=unit_b, jurisdiction_code=B),
        "provider_b": make_user(Role.PROVIDER, provider=provider, jurisdiction_code=B),
        "authority_b": make_user(Role.AUTHORITY_OFFICER, authority=authority, jurisdiction_code=B),
        "person_b": person_b.user,
        "city_other": make_user(Role.CITY_OFFICER, jurisdiction_code=OTHER_CITY),
    }
    db.session.commit()
    world["session_ids"].update({name: user.get_id() for name, user in actors.items()})
    world["id_numbers"] = db.session.scalars(
        sa.select(Professional.id_number).where(Professional.jurisdiction_code == A)
    ).all()
    db.session.expunge_all()  # each request starts with nothing loaded, as in production
    return world


def _text(response) -> str:
    """What a response shows: its text, or the cells of a spreadsheet."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
        return "\n".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
            for cell in row if cell is not None
        )  # fmt: skip
    return response.get_data(as_text=True)


def _assert_nothing_of_a(found, actor, url, response, searched=""):
    text = _text(response).replace(searched, "") if searched else _text(response)
    if actor == "person_b":
        # A professional's move goes to any unit of the instance (across counties, the city's
        # move): the choice of units is the one list of another county's names they see.
        text = re.sub(r'<select[^>]*name="unit".*?</select>', "", text, flags=re.S)
    leaked = [MARK] if MARK in text else []
    leaked += [n for n in found["id_numbers"] if n in text or f"{n[:6]}********{n[-4:]}" in text]
    assert not leaked, f"{actor} {url}: county A's {leaked} shown"


def _refused(expected) -> bool:
    return expected != "ok"


@pytest.mark.parametrize(
    ("method", "endpoint"),
    sorted(key for key in ROUTES if key[1].split(".")[0] not in PUBLIC and key[1] not in PUBLIC),
    ids=lambda v: v,
)
def test_no_route_opens_another_countys_records(app, across, method, endpoint):
    url, expected = ROUTES[(method, endpoint)]
    names_a_record = bool(COUNTY_OWNED & set(re.findall(r"{(\w+)}", url)))
    got, wanted = {}, {}
    for actor, like in FOREIGN.items():
        response = client_as(app, across, actor).open(
            url.format(**across["ids"]), method=method, data={}
        )
        assert response.status_code != 500
        got[actor] = outcome(response)
        home = expected[like]
        if names_a_record and home != "ok" and got[actor] in (403, 404):
            wanted[actor] = got[actor]  # refused by role or not found: either way refused
        elif names_a_record and home == "ok":
            wanted[actor] = 404  # the record is not there for them
        else:
            wanted[actor] = home
        if got[actor] == "ok":
            _assert_nothing_of_a(across, actor, url, response)
    assert got == wanted


@pytest.mark.parametrize("url", SEARCHES)
def test_no_list_search_or_export_shows_another_county(app, across, url, monkeypatch):
    from portal.stats import tables

    monkeypatch.setattr(tables, "UNIT_LIST", 0)  # the statistics' unit filter searches by name
    for actor in FOREIGN:
        for id_number in across["id_numbers"][:2]:
            target = url.format(mark=MARK[0], id_number=id_number)  # "甲": the marker's start
            response = client_as(app, across, actor).get(target)
            assert response.status_code != 500
            if response.status_code < 300:
                _assert_nothing_of_a(across, actor, target, response, searched=id_number)


def test_the_cli_named_for_a_county_sees_nothing_of_another(app, across, tmp_path):
    runner = app.test_cli_runner()
    p_number = across["id_numbers"][0]
    for args in (
        ["people", "show", p_number],
        ["verification", "show", "YZ341822-2026-000001"],
        ["verification", "show", str(across["ids"]["verification"])],
    ):
        seen = runner.invoke(args=[*args, "--jurisdiction", B])
        assert seen.exit_code == 2 and "错误" in seen.output, (args, seen.output)
        assert runner.invoke(args=[*args, "--jurisdiction", A]).exit_code == 0, args
        assert runner.invoke(args=args).exit_code == 0, args  # the whole instance
    out = tmp_path / "b.json"
    seen = runner.invoke(
        args=["export", "year", "2025", "--format", "json", "--out", str(out), "--jurisdiction", B]
    )
    assert seen.exit_code == 0, seen.output
    assert MARK not in out.read_text() and p_number not in out.read_text()
    plans = runner.invoke(args=["providers", "plans", "--jurisdiction", B])
    assert plans.exit_code == 0 and json.loads(plans.output) == []
    assert "甲县培训" in runner.invoke(args=["providers", "plans", "--jurisdiction", A]).output


def test_the_cli_refuses_an_unknown_jurisdiction(app, across):
    seen = app.test_cli_runner().invoke(args=["people", "show", "x", "--jurisdiction", "999999"])
    assert seen.exit_code == 2 and "行政区划代码“999999”不在本系统中" in seen.output
