"""The people pages: a person's staff page, the own profile, employer changes and the rights
that follow a move (old unit, new unit, bureau)."""

import os
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts import people
from portal.accounts.models import MoveRequest, MoveStatus, PersonStatus, PersonTitle, Role
from portal.accounts.permissions import can_confirm_move, can_view_declaration
from portal.audit.models import AuditEvent
from portal.clock import local_today
from portal.declarations.models import DeclarationStatus, ReviewingBody
from portal.extensions import db
from portal.notifications.models import Notification
from portal.refusal import Refusal
from portal.units.models import Authority, TitleSeries, UnitType
from tests.conftest import logged_in as login


@pytest.fixture
def world(make_unit, make_user, make_professional):
    a = make_unit(name="甲中学", type=UnitType.INSTITUTION)
    b = make_unit(name="乙医院", type=UnitType.INSTITUTION)
    firm = make_unit(name="丙公司", type=UnitType.PRIVATE_ENTERPRISE)
    p = make_professional(unit=None, name="王晓梅")
    officer = make_user(Role.BUREAU_OFFICER)
    people.move(officer, p, a, date(2015, 9, 1))
    db.session.add(TitleSeries(name="中小学教师", authority=Authority(name="县教体局")))
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "firm": firm,
        "p": p,
        "officer": officer,
        "ra": make_user(Role.UNIT_REVIEWER, unit=a),
        "rb": make_user(Role.UNIT_REVIEWER, unit=b),
    }


# --- the staff page -----------------------------------------------------------------------


def test_staff_page_shows_titles_employment_and_years(app, world, make_registered_declaration):
    p = world["p"]
    make_registered_declaration(p, 2024, unit=world["a"], reviewing_body=ReviewingBody.UNIT)
    for user in (world["ra"], world["officer"]):
        page = login(app, user).get(f"/people/{p.id}")
        assert page.status_code == 200
        assert "王晓梅" in page.text and "工作经历" in page.text and "甲中学" in page.text
        assert "2024" in page.text and "已登记" in page.text
        assert p.id_number not in page.text  # masked for staff
    assert login(app, world["rb"]).get(f"/people/{p.id}").status_code == 404
    assert login(app, world["ra"]).get("/people/?q=晓梅").text.count("王晓梅") == 1
    assert "王晓梅" not in login(app, world["rb"]).get("/people/?q=晓梅").text


def test_unit_adds_a_title_and_a_bad_date_comes_back_beside_the_field(app, world):
    p, series = world["p"], db.session.scalar(sa.select(TitleSeries))
    client = login(app, world["ra"])
    form = {"series": series.id, "level": "intermediate", "name": "一级教师"}
    bad = client.post(
        f"/people/{p.id}/titles", data=form | {"obtained": "2020-09-01", "appointed": "2019-01-01"}
    )
    assert bad.status_code == 422 and "聘任时间不能早于取得时间" in bad.text
    ok = client.post(
        f"/people/{p.id}/titles", data=form | {"obtained": "2020-09-01", "appointed": "2020-12-01"}
    )
    assert ok.status_code == 303
    title = db.session.scalar(sa.select(PersonTitle).where(PersonTitle.professional_id == p.id))
    assert (title.obtained, title.appointed, title.name) == (
        date(2020, 9, 1),
        date(2020, 12, 1),
        "一级教师",
    )
    assert "一级教师" in client.get(f"/people/{p.id}").text


def test_only_the_bureau_sets_the_transfer_in_date(app, world):
    p = world["p"]
    refused = login(app, world["ra"]).post(
        f"/people/{p.id}/transfer-in", data={"transfer_in_date": "2019-07-01"}
    )
    assert refused.status_code == 403
    assert (
        "调入日期" not in login(app, world["ra"]).get(f"/people/{p.id}").text.split("年度学时")[1]
    )
    done = login(app, world["officer"]).post(
        f"/people/{p.id}/transfer-in", data={"transfer_in_date": "2019-07-01"}
    )
    assert done.status_code == 303
    db.session.refresh(p)
    assert p.transfer_in_date == date(2019, 7, 1)
    assert (
        db.session.scalar(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "person.transfer_in")
        )
        == "（无） → 2019-07-01"
    )


# --- the own profile ----------------------------------------------------------------------


def test_profile_shows_own_record_and_corrects_the_phone(app, world):
    p = world["p"]
    client = login(app, p.user)
    page = client.get("/profile/")
    assert page.status_code == 200
    assert p.id_number in page.text and "甲中学" in page.text
    assert "姓名、身份证号码有误的，请携带身份证到县人社局办理更正" in page.text
    bad = client.post("/profile/phone", data={"phone": "12345"})
    assert bad.status_code == 422 and "请输入11位手机号码" in bad.text
    assert client.post("/profile/phone", data={"phone": "13912345678"}).status_code == 303
    db.session.refresh(p)
    assert p.phone == "13912345678"


# --- employer changes ---------------------------------------------------------------------


def test_person_asks_and_the_new_unit_confirms(app, world):
    p, b = world["p"], world["b"]
    asked = login(app, p.user).post(
        "/profile/move", data={"unit": b.id, "started_on": "2025-03-01"}
    )
    assert asked.status_code == 303
    move = db.session.scalar(sa.select(MoveRequest))
    assert move.status is MoveStatus.PENDING and p.unit_id == world["a"].id
    assert "等待新单位确认" in login(app, p.user).get("/profile/").text
    # The old unit and the bureau do not confirm a move to a state unit.
    for other in ("ra", "officer"):
        assert login(app, world[other]).post(f"/people/moves/{move.id}/confirm").status_code == 404
    queue = login(app, world["rb"]).get("/people/moves")
    assert "王晓梅" in queue.text and "本人" in queue.text
    assert login(app, world["rb"]).post(f"/people/moves/{move.id}/confirm").status_code == 303
    db.session.expire_all()
    assert move.status is MoveStatus.CONFIRMED and move.decided_by_id == world["rb"].id
    assert p.unit_id == b.id
    assert [(e.unit_id, e.ended_on) for e in p.employments] == [
        (world["a"].id, date(2025, 2, 28)),
        (b.id, None),
    ]


@pytest.mark.parametrize("target", ["firm", "freelance"])
def test_moves_to_non_public_employers_and_freelance_are_confirmed_by_the_bureau(world, target):
    p = world["p"]
    unit = world["firm"] if target == "firm" else None
    move = people.request_move(p.user, p, unit, date(2025, 3, 1))
    assert move.status is MoveStatus.PENDING
    assert not can_confirm_move(world["ra"], move) and not can_confirm_move(world["rb"], move)
    assert can_confirm_move(world["officer"], move)
    people.confirm_move(world["officer"], move)
    assert p.unit_id == (unit.id if unit else None)


def _inbox(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user.id))
    )


def test_new_unit_enters_a_newcomer_who_waits_for_the_old_unit(app, world):
    """Issue 20.2: a unit typing an ID number takes nobody; the person or the old unit (or the
    bureau) confirms, both sides hear of it, and the old unit still finds the person."""
    p = world["p"]
    response = login(app, world["rb"]).post(
        "/people/moves",
        data={"id_number": p.id_number, "unit": world["b"].id, "started_on": "2025-03-01"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    move = db.session.scalar(sa.select(MoveRequest))
    assert move.status is MoveStatus.PENDING and p.unit_id == world["a"].id
    assert any("单位变更待确认" in t for t in _inbox(p.user))
    assert any("单位变更待确认" in t for t in _inbox(world["ra"]))
    assert not _inbox(world["rb"])  # the one who entered it
    # The entering unit cannot confirm its own entry; the old unit sees it on its moves page.
    assert login(app, world["rb"]).post(f"/people/moves/{move.id}/confirm").status_code == 404
    old_unit = login(app, world["ra"])
    assert "王晓梅" in old_unit.get("/people/moves").text
    assert old_unit.post(f"/people/moves/{move.id}/confirm").status_code == 303
    db.session.expire_all()
    assert move.status is MoveStatus.CONFIRMED and p.unit_id == world["b"].id
    assert any("单位变更已确认" in t for t in _inbox(world["rb"]))
    assert any("单位变更已确认" in t for t in _inbox(p.user))
    listed = old_unit.get("/people/?q=晓梅").text
    assert "王晓梅" in listed and "已调出" in listed and "乙医院" not in listed
    assert old_unit.get(f"/people/{p.id}").status_code == 200
    new_unit = login(app, world["rb"]).get("/people/?q=晓梅").text
    assert "王晓梅" in new_unit and "已调出" not in new_unit


def test_the_person_confirms_a_move_entered_by_the_new_unit_on_the_profile(
    app, world, make_professional
):
    p = world["p"]
    move = people.request_move(world["rb"], p, world["b"], date(2025, 3, 1))
    db.session.commit()
    client = login(app, p.user)
    page = client.get("/profile/")
    assert "请确认是否属实" in page.text and f"/profile/move/{move.id}/confirm" in page.text
    empty = client.post(f"/profile/move/{move.id}/refuse", data={})
    assert empty.status_code == 422 and "请填写理由" in empty.text
    stranger = login(app, make_professional(unit=world["a"]).user)
    assert stranger.post(f"/profile/move/{move.id}/confirm").status_code == 404
    assert client.post(f"/profile/move/{move.id}/confirm").status_code == 303
    db.session.expire_all()
    assert move.status is MoveStatus.CONFIRMED and move.decided_by_id == p.user.id
    assert p.unit_id == world["b"].id


def test_the_bureau_may_confirm_a_unit_entry_and_a_refusal_is_told(world):
    p = world["p"]
    move = people.request_move(world["rb"], p, world["b"], date(2025, 3, 1))
    assert can_confirm_move(world["officer"], move) and can_confirm_move(p.user, move)
    assert not can_confirm_move(world["rb"], move)
    people.refuse_move(world["ra"], move, "仍在本校工作")
    assert p.unit_id == world["a"].id
    assert any("未予确认" in t and "仍在本校工作" in t for t in _inbox(world["rb"]))
    assert any("未予确认" in t for t in _inbox(p.user))


def test_a_bureau_entry_it_confirms_is_told_to_both_units(world):
    """Issue 20.6: an employer change entered (and confirmed at once) tells the person and
    both units."""
    p = world["p"]
    move = people.request_move(world["officer"], p, world["firm"], date(2025, 3, 1))
    assert move.status is MoveStatus.CONFIRMED and p.unit_id == world["firm"].id
    assert any("登记了单位变更" in t for t in _inbox(p.user))
    assert any("登记了单位变更" in t for t in _inbox(world["ra"]))


def test_a_future_move_waits_for_its_date(app, world):
    """Issue 22.6: a move dated next year is 待生效; the person stays at the old unit until
    the day, when the daily step makes it."""
    p = world["p"]
    day = local_today() + timedelta(days=200)
    move = people.request_move(p.user, p, world["b"], day)
    people.confirm_move(world["rb"], move)
    assert move.status is MoveStatus.SCHEDULED and p.unit_id == world["a"].id
    assert [e.unit_id for e in p.employments] == [world["a"].id]
    db.session.commit()
    assert "待生效" in login(app, p.user).get("/profile/").text
    assert "待生效" in login(app, world["officer"]).get(f"/people/{p.id}").text
    with pytest.raises(Refusal, match="未办结"):
        people.request_move(p.user, p, world["firm"], day + timedelta(days=1))
    assert people.apply_due_moves(day - timedelta(days=1)) == 0
    assert p.unit_id == world["a"].id
    assert people.apply_due_moves(day) == 1
    assert move.status is MoveStatus.CONFIRMED and p.unit_id == world["b"].id
    assert [(e.unit_id, e.ended_on) for e in p.employments] == [
        (world["a"].id, day - timedelta(days=1)),
        (world["b"].id, None),
    ]


def test_a_unit_enters_moves_only_into_itself(app, world):
    p = world["p"]
    response = login(app, world["ra"]).post(
        "/people/moves",
        data={"id_number": p.id_number, "unit": world["b"].id, "started_on": "2025-03-01"},
    )
    assert response.status_code == 422 and "请从列表中选择" in response.text
    assert db.session.scalar(sa.select(sa.func.count(MoveRequest.id))) == 0


def test_bureau_enters_a_move_to_a_state_unit_which_that_unit_confirms(world):
    p = world["p"]
    move = people.request_move(world["officer"], p, world["b"], date(2025, 3, 1))
    assert move.status is MoveStatus.PENDING
    people.confirm_move(world["rb"], move)
    assert p.unit_id == world["b"].id


def test_refusing_a_move_needs_a_reason_and_keeps_the_unit(app, world):
    p = world["p"]
    move = people.request_move(p.user, p, world["b"], date(2025, 3, 1))
    db.session.commit()
    client = login(app, world["rb"])
    empty = client.post(f"/people/moves/{move.id}/refuse", data={})
    assert empty.status_code == 422 and "请填写理由" in empty.text
    done = client.post(
        f"/people/moves/{move.id}/refuse", data={f"m{move.id}-reason": "未在本院工作"}
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert move.status is MoveStatus.REFUSED and move.note == "未在本院工作"
    assert p.unit_id == world["a"].id


def test_move_requests_that_make_no_sense_are_refused(world, make_professional):
    p = world["p"]
    with pytest.raises(Refusal, match="已在此单位"):
        people.request_move(p.user, p, world["a"], date(2025, 3, 1))
    with pytest.raises(Refusal, match="须晚于"):
        people.request_move(p.user, p, world["b"], date(2015, 9, 1))
    people.request_move(p.user, p, world["b"], date(2025, 3, 1))
    with pytest.raises(Refusal, match="未办结"):
        people.request_move(p.user, p, world["firm"], date(2025, 4, 1))
    pending = make_professional(unit=world["a"], status=PersonStatus.PENDING)
    with pytest.raises(Refusal, match="尚未确认"):
        people.request_move(pending.user, pending, world["b"], date(2025, 3, 1))
    other = make_professional(unit=world["a"])
    with pytest.raises(Refusal) as refused:
        people.request_move(p.user, other, world["b"], date(2025, 3, 1))  # not their own
    assert refused.value.status == 404


# --- rights after a move ------------------------------------------------------------------


@pytest.fixture
def moved(world, make_registered_declaration, make_submitted_declaration):
    """P: 2024 registered under unit A; 2025 submitted under A; then moved to B in 2025."""
    p, a = world["p"], world["a"]
    old = make_registered_declaration(p, 2024, unit=a, reviewing_body=ReviewingBody.UNIT)
    pending = make_submitted_declaration(p, 2025, unit=a, reviewing_body=ReviewingBody.UNIT)
    people.move(world["officer"], p, world["b"], date(2025, 12, 1))
    db.session.commit()
    return world | {"old": old, "pending": pending}


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("ra", True),  # the old unit: the years it reviewed
        ("rb", True),  # the new unit: the person's whole record
        ("officer", True),
        ("rc", False),  # a third unit
        ("owner", True),
    ],
)
def test_who_reads_a_year_after_the_move(moved, make_unit, make_user, viewer, expected):
    users = moved | {
        "rc": make_user(Role.UNIT_REVIEWER, unit=make_unit()),
        "owner": moved["p"].user,
    }
    assert can_view_declaration(users[viewer], moved["old"]) is expected
    assert can_view_declaration(users[viewer], moved["pending"]) is expected


def test_a_bureau_reviewed_year_gives_the_old_unit_nothing(world, make_registered_declaration):
    p = world["p"]
    year = make_registered_declaration(
        p, 2023, unit=world["a"], reviewing_body=ReviewingBody.BUREAU
    )
    people.move(world["officer"], p, world["b"], date(2025, 1, 1))
    assert not can_view_declaration(world["ra"], year)


def test_old_unit_reads_the_years_it_reviewed_and_keeps_the_one_submitted_to_it(app, moved):
    """Issue 22.6: the reviewer of a submitted declaration is fixed at submission: the 2025
    year submitted to unit A stays in A's queue after the move to B."""
    old, pending, p = moved["old"], moved["pending"], moved["p"]
    ra = login(app, moved["ra"])
    assert "王晓梅" in ra.get("/review/").text
    page = ra.get(f"/review/{pending.id}")
    assert page.status_code == 200
    assert f"/review/{pending.id}/approve" in page.text
    evidence = pending.claims[0].evidence[0]
    with open(os.path.join(app.config["UPLOAD_FOLDER"], evidence.stored_name), "wb") as f:
        f.write(b"%PDF-1.4\n%test\n")
    assert ra.get(f"/declarations/evidence/{evidence.id}").status_code == 200
    person_page = ra.get(f"/people/{p.id}")
    assert person_page.status_code == 200
    assert "仅显示向本单位申报的年度" in person_page.text
    assert "乙医院" not in person_page.text and "工作经历" not in person_page.text
    assert "2024" in person_page.text
    assert ra.post(f"/people/{p.id}/titles", data={}).status_code == 403
    assert old.unit_id == moved["a"].id  # the year stays recorded under unit A


def test_new_unit_sees_the_whole_record_but_not_the_year_submitted_before(app, moved):
    pending, p = moved["pending"], moved["p"]
    rb = login(app, moved["rb"])
    assert "王晓梅" not in rb.get("/review/").text
    page = rb.get(f"/review/{pending.id}")
    assert page.status_code == 200 and f"/review/{pending.id}/approve" not in page.text
    assert rb.post(f"/review/{pending.id}/approve", data={}).status_code in (403, 404)
    person_page = rb.get(f"/people/{p.id}")
    assert "工作经历" in person_page.text and "甲中学" in person_page.text
    assert "2024" in person_page.text


def test_another_unit_sees_nothing_and_the_bureau_everything(app, moved, make_unit, make_user):
    pending, p = moved["pending"], moved["p"]
    rc = login(app, make_user(Role.UNIT_REVIEWER, unit=make_unit()))
    assert rc.get(f"/people/{p.id}").status_code == 404
    assert rc.get(f"/review/{pending.id}").status_code == 404
    officer = login(app, moved["officer"])
    assert officer.get(f"/people/{p.id}").status_code == 200
    assert pending.status is DeclarationStatus.SUBMITTED


def test_the_people_list_goes_by_pages_of_fifty(app, make_unit, make_user, make_professional):
    """人员档案 shows 50 people a page in name order with a pager (the whole county reachable,
    not only the first 200 as before), and a search keeps its term on the next page."""
    unit = make_unit(name="大单位", type=UnitType.INSTITUTION)
    for n in range(51):
        make_professional(unit=unit, name=f"人员{n:03d}", account=False)
    make_professional(unit=make_unit(name="别的单位"), name="别人", account=False)
    for viewer in (make_user(Role.BUREAU_OFFICER), make_user(Role.UNIT_REVIEWER, unit=unit)):
        client = login(app, viewer)
        first = client.get("/people/?q=人员").text
        assert first.count("人员0") == 50 and "人员050" not in first
        assert "下一页" in first and "q=%E4%BA%BA%E5%91%98" in first
        second = client.get("/people/?q=人员&page=2").text
        assert "人员050" in second and "人员049" not in second and "上一页" in second
        assert "下一页" not in second
    everyone = login(app, make_user(Role.BUREAU_OFFICER)).get("/people/?page=2").text
    assert "别人" in everyone and "人员050" in everyone  # name order: 人 before 别
