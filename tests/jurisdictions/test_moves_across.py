"""Moves across counties inside one instance (issue 24.6): the employment history goes with the
person, the record and account are handed to the new county, with the consent rules of the
move flow (the move waits for the person, the old unit or the bureau; both sides told). The old
county keeps its registered years and finds the person marked 已调出; the new county's
verification reads the person's whole history."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts import people as operations
from portal.accounts.models import Employment, MoveStatus, Professional, Role, User
from portal.declarations.models import Declaration
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import FormerJurisdiction, JurisdictionLevel
from portal.notifications.models import Notification
from portal.units.models import Unit
from portal.verification import service as verification
from tests.perf.test_query_counts import captured

A, B, C, CITY = "341822", "341821", "341823", "341800"


@pytest.fixture
def two(ctx, make_unit, make_user, make_professional, make_registered_declaration):
    jurisdictions.add(B, "郎溪县", JurisdictionLevel.COUNTY, CITY)
    jurisdictions.add(C, "泾县", JurisdictionLevel.COUNTY, CITY)
    ua = make_unit(name="示范县中学", jurisdiction_code=A)
    ub = make_unit(name="郎溪县中学", jurisdiction_code=B)
    staff = {
        "RA": make_user(Role.UNIT_REVIEWER, unit=ua, jurisdiction_code=A),
        "RB": make_user(Role.UNIT_REVIEWER, unit=ub, jurisdiction_code=B),
        "OA": make_user(Role.BUREAU_OFFICER, jurisdiction_code=A),
        "OB": make_user(Role.BUREAU_OFFICER, jurisdiction_code=B),
        "OC": make_user(Role.BUREAU_OFFICER, jurisdiction_code=C),
    }
    person = make_professional(unit=ua, name="调动人", jurisdiction_code=A)
    person.user.jurisdiction_code = A
    db.session.add(Employment(professional=person, unit=ua, started_on=date(2018, 9, 1)))
    for year in (2021, 2022, 2023, 2024):  # registered in the county they worked in
        make_registered_declaration(person, year, jurisdiction_code=A)
    db.session.commit()
    return {"person": person, "ua": ua, "ub": ub, **staff}


def _told(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user.id))
    )


def _history(person) -> list[tuple[str, date, date | None]]:
    with scope.unscoped():
        rows = db.session.execute(
            sa.select(Employment.unit_id, Employment.started_on, Employment.ended_on)
            .where(Employment.professional_id == person.id)
            .order_by(Employment.started_on)
        ).all()
    return [tuple(r) for r in rows]


def test_the_person_asks_and_the_new_unit_confirms(client, auth, two):
    person, ua, ub = two["person"], two["ua"], two["ub"]
    auth.login(person.user)
    asked = client.post("/profile/move", data={"unit": str(ub.id), "started_on": "2025-03-01"})
    assert asked.status_code == 303
    move = db.session.scalar(sa.select(operations.MoveRequest))
    assert move.status is MoveStatus.PENDING and person.jurisdiction_code == A  # it waits
    auth.logout()

    # The new county's unit finds the person of the other county among its moves to confirm.
    auth.login(two["RB"])
    page = client.get("/people/moves")
    assert "调动人" in page.text and "示范县中学" in page.text
    assert client.post(f"/people/moves/{move.id}/confirm").status_code == 303
    db.session.expire_all()
    assert move.status is MoveStatus.CONFIRMED
    # handed over: the record and the account, the history kept
    assert (person.jurisdiction_code, person.user.jurisdiction_code) == (B, B)
    assert _history(person) == [(ua.id, date(2018, 9, 1), date(2025, 2, 28)),
                                (ub.id, date(2025, 3, 1), None)]  # fmt: skip
    assert db.session.get(FormerJurisdiction, (person.id, A)).left_on == date(2025, 3, 1)
    # the registered years stay with the county that registered them
    with scope.unscoped():
        codes = set(db.session.scalars(sa.select(Declaration.jurisdiction_code)))
    assert codes == {A}
    # both sides told: the person and the old unit (the new unit confirmed)
    assert any("单位变更已确认" in t for t in _told(person.user))
    assert any("单位变更已确认" in t for t in _told(two["RA"]))
    # the new county's bureau now keeps the person; the old county's does not
    auth.logout()
    auth.login(two["OB"])
    assert "调动人" in client.get("/people/").text


def test_the_old_county_still_finds_the_person_moved_out(client, auth, two):
    person = two["person"]
    person_id = person.id
    with scope.use(B):
        operations.move(two["RB"], person, two["ub"], date(2025, 3, 1))
    db.session.commit()
    auth.login(two["OA"])
    listing = client.get("/people/")
    row = listing.text.split("调动人")[1].split("</tr>")[0]
    assert "已调出" in row
    page = client.get(f"/people/{person.id}")
    assert page.status_code == 200 and "2024" in page.text  # its registered years
    auth.logout()
    auth.login(two["RA"])  # the old unit too
    assert "已调出" in client.get("/people/").text.split("调动人")[1].split("</tr>")[0]
    auth.logout()
    auth.login(two["OC"])  # a third county never
    db.session.expunge_all()  # as a new request: nothing loaded before its scope
    assert "调动人" not in client.get("/people/").text
    assert client.get(f"/people/{person_id}").status_code == 404


def test_the_people_handed_on_are_named_by_the_criteria_not_by_their_ids(
    app, client, auth, two, make_user, make_professional
):
    """The counties a person was handed on from keep seeing them (the county's officer, the
    city's, the province's) through the scope's criteria, which name the hand-overs by a
    subquery: a page's statements are the same text before and after a move and however many
    were handed on (the ids as values once made each statement carry one parameter each). A
    county that handed nobody on does not see the person."""
    person_id = two["person"].id
    city = make_user(Role.CITY_OFFICER, jurisdiction_code=CITY)
    province = make_user(Role.PROVINCE_VIEWER, jurisdiction_code="340000")
    db.session.commit()
    officer, mover = two["OA"].username, two["RB"].id
    units = two["ua"].id, two["ub"].id
    seers = [two["OA"].id, city.id, province.id]
    blind = two["OC"].id  # a third county's

    def statements_of(path: str) -> list[str]:
        auth.login(officer)
        db.session.expunge_all()  # as a new request: nothing loaded before its scope
        with captured(app) as statements:
            assert client.get(path).status_code == 200
        auth.logout()
        return statements

    def sees(account_id: int, person: int) -> bool:
        with app.test_request_context():
            scope.set_for_user(db.session.get(User, account_id))
            db.session.expunge_all()
            return db.session.get(Professional, person) is not None

    statements_of("/people/")  # the first page of a process reads the jurisdiction tree too
    before = statements_of("/people/")
    moved, to = db.session.get(Professional, person_id), db.session.get(Unit, units[1])
    with scope.use(B):
        operations.move(db.session.get(User, mover), moved, to, date(2025, 3, 1))
    db.session.commit()
    assert all(sees(account, person_id) for account in seers)
    assert not sees(blind, person_id)
    assert statements_of("/people/") == before
    shown = statements_of(f"/people/{person_id}")
    for n in range(30):  # many more handed on from A: the same statements again
        other = make_professional(
            unit=db.session.get(Unit, units[0]), name=f"又一人{n}", jurisdiction_code=B
        )
        db.session.add(FormerJurisdiction(professional_id=other.id, jurisdiction_code=A,
                                          left_on=date(2025, 3, 1)))  # fmt: skip
    db.session.commit()
    last = other.id
    assert statements_of("/people/") == before
    assert statements_of(f"/people/{person_id}") == shown
    assert sees(seers[0], last) and not sees(blind, last)


def test_the_new_unit_enters_and_the_old_side_confirms(client, auth, two):
    person = two["person"]
    auth.login(two["RB"])
    entered = client.post(
        "/people/moves",
        data={"id_number": person.id_number, "unit": str(two["ub"].id), "started_on": "2025-03-01"},
    )
    assert entered.status_code == 303, entered.text
    move = db.session.scalar(sa.select(operations.MoveRequest))
    assert move.status is MoveStatus.PENDING and person.jurisdiction_code == A
    # the old side is told and may confirm: the old unit, the person, the person's bureau
    assert any("单位变更待确认" in t for t in _told(two["RA"]))
    assert any("单位变更待确认" in t for t in _told(person.user))
    for other in ("RB", "OB", "OC"):  # not the new side, nor another county
        auth.logout()
        auth.login(two[other])
        assert client.post(f"/people/moves/{move.id}/confirm").status_code == 404, other
    auth.logout()
    auth.login(two["OA"])
    assert "调动人" in client.get("/people/moves").text
    assert client.post(f"/people/moves/{move.id}/confirm").status_code == 303
    db.session.expire_all()
    assert person.jurisdiction_code == B
    assert any("单位变更已确认" in t for t in _told(two["RB"]))


def test_a_bureau_moves_only_its_own_countys_people_or_into_its_units(two):
    person, ua = two["person"], two["ua"]
    with scope.use(C), pytest.raises(Exception, match="不存在|无权"):
        operations.request_move(two["OC"], person, ua, date(2025, 3, 1))


def test_the_new_countys_verification_reads_the_whole_history(two):
    person = two["person"]
    with scope.use(B):
        operations.move(two["RB"], person, two["ub"], date(2025, 3, 1))
    db.session.commit()
    model, person_id = type(person), person.id
    db.session.expunge_all()
    with scope.use(B):
        moved = db.session.get(model, person_id)
        rows = verification.cycle_rows(moved, 2021, 2024)
        assert [(r.year, r.source) for r in rows] == [(y, "portal") for y in range(2021, 2025)]
        assert all(r.general == 30 and r.professional == 60 for r in rows)
        # the county's own reading (a person's page) keeps to its years
        assert db.session.scalars(sa.select(Declaration)).all() == []


def test_a_bureaus_list_merges_its_people_and_those_it_handed_on_in_name_order(
    app, two, make_professional
):
    """On an instance of many counties a bureau's list reads its county's people and those it
    handed on as two parts in name order, merged (people.service._county_people): every page,
    with and without a name search, is the slice of one query over everyone the bureau sees,
    each person once (one who came back to the county as well)."""
    from portal.paging import PER_PAGE
    from portal.people import service as people_service

    ua, ub = two["ua"], two["ub"]
    for n in range(PER_PAGE + 7):  # more than a page, names interleaving with those handed on
        make_professional(unit=ua, name=f"甲{n % 13:02}{n:03}", jurisdiction_code=A)
    for n in range(6):
        away = make_professional(unit=ub, name=f"甲{n * 2:02}调出{n}", jurisdiction_code=B)
        db.session.add(FormerJurisdiction(professional_id=away.id, jurisdiction_code=A,
                                          left_on=date(2025, 3, 1)))  # fmt: skip
    came_back = make_professional(unit=ua, name="甲05回来", jurisdiction_code=A)
    db.session.add(FormerJurisdiction(professional_id=came_back.id, jurisdiction_code=A,
                                      left_on=date(2024, 3, 1)))  # fmt: skip
    make_professional(unit=two["ub"], name="甲01别县", jurisdiction_code=B)  # never A's
    db.session.commit()
    officer_id = two["OA"].id
    found = {}
    for q in ("", "甲0", "调出", "%"):
        with app.test_request_context():
            officer = db.session.get(User, officer_id)
            scope.set_for_user(officer)
            everyone = db.session.scalars(  # one query over everyone the bureau sees
                sa.select(Professional)
                .where(Professional.name.contains(q, autoescape=True))
                .order_by(Professional.name, Professional.id)
            ).all()
            shown, page = [], 1
            while True:
                window = people_service.people_of(officer, q, page)
                shown += [p.id for p in window.rows]
                if not window.has_next:
                    break
                page += 1
        assert shown == [p.id for p in everyone], q
        found[q] = shown
    # the fixture's 调动人, those made here, the six handed on, the one who came back
    assert len(found[""]) == 1 + PER_PAGE + 7 + 6 + 1 and found[""].count(came_back.id) == 1
    assert len(found["调出"]) == 6 and found["%"] == []  # "%" is a character, not a wildcard
