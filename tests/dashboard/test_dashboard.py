"""The unit reviewer's home: who has not declared, who is short (by how much), the queue and
its waiting days, open objections; one click reminds everyone short; another unit's people
never show."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts.models import Role
from portal.board.models import Objection, PublicityBatch
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.notifications import service as notifications
from portal.units.models import UnitType


@pytest.fixture
def unit_year(
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
    make_submitted_declaration,
):
    unit = make_unit(name="第一中学", type=UnitType.INSTITUTION)
    other = make_unit(name="第二中学", type=UnitType.INSTITUTION)
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    done = make_professional(unit=unit, name="达标甲")
    make_registered_declaration(done, 2025, general=30, professional=60)
    low = make_professional(unit=unit, name="差额乙")
    make_registered_declaration(low, 2025, general=20, professional=40)  # short 30 total, 20 prof
    none = make_professional(unit=unit, name="未报丙")
    waiting = make_professional(unit=unit, name="待核丁")
    # training 5 days + courseware 30 general, as declared
    submitted = make_submitted_declaration(
        waiting, year=2025, submitted_at=datetime.now(UTC) - timedelta(days=6)
    )
    make_professional(unit=other, name="外单位戊")
    officer = make_user(Role.BUREAU_OFFICER)
    objected = make_professional(unit=unit, name="异议己")
    batch = PublicityBatch(
        title="批次",
        start_date=datetime.now(UTC).date(),
        end_date=datetime.now(UTC).date() + timedelta(days=7),
        created_by_id=officer.id,
    )
    db.session.add(batch)
    db.session.flush()
    publicised = make_submitted_declaration(
        objected,
        year=2025,
        status=DeclarationStatus.PUBLICISED,
        batch_id=batch.id,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )
    db.session.add(Objection(declaration_id=publicised.id, name="张", contact="1", content="x"))
    db.session.commit()
    return {
        "reviewer": reviewer,
        "low": low,
        "none": none,
        "waiting": waiting,
        "submitted": submitted,
        "done": done,
    }


def test_overview(unit_year):
    from portal.dashboard import service

    overview = service.unit_overview(unit_year["reviewer"], 2025)
    names = {p.person.name for p in overview.people.rows}
    assert names == {"达标甲", "差额乙", "未报丙", "待核丁", "异议己"}
    assert overview.counts == {"none": 1, "draft": 0, "waiting": 1, "met": 2, "short": 1}
    short = {p.person.name: p.shortfall_text() for p in overview.people.rows if p.short}
    assert short["差额乙"] == "总学时差30学时，专业科目差20学时"
    assert short["未报丙"] == "总学时差90学时，专业科目差60学时"
    assert "达标甲" not in short and "异议己" not in short
    assert [(w.name, w.days) for w in overview.queue] == [("待核丁", 6)]
    assert overview.queue_total == 1
    assert len(overview.objections) == 1 and overview.objections_total == 1


def test_home_page_and_reminder(client, auth, unit_year):
    auth.login(unit_year["reviewer"])
    assert client.get("/").headers["Location"].endswith("/dashboard/")  # the unit's home
    home = client.get("/dashboard/?year=2025")
    assert "第一中学 · 2025年度" in home.text and "外单位戊" not in home.text
    assert "总学时差30学时，专业科目差20学时" in home.text
    assert "6 天" in home.text
    response = client.post("/dashboard/remind?year=2025")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "已向" in page.text
    reminded = notifications.inbox(unit_year["low"].user)
    assert [n.kind for n in reminded] == ["reminder.short"]
    assert "专业科目差20学时" in reminded[0].text
    assert notifications.inbox(unit_year["none"].user)[0].kind == "reminder.short"
    assert notifications.inbox(unit_year["done"].user) == []


def test_only_unit_reviewers(client, auth, make_user):
    auth.login(make_user(Role.BUREAU_OFFICER))
    assert client.get("/dashboard/").status_code == 403


def test_periodic_reminder(app, unit_year):
    from portal.dashboard.tasks import remind_short_people
    from portal.jobs import service as jobs

    job = jobs.run_periodic("reminders.short", remind_short_people.work)
    assert job.state.value == "done", job.message
    assert "提醒" in job.message


def test_list_pages_filters_and_htmx_partial(client, auth, make_unit, make_user, make_professional):
    unit = make_unit(name="大单位")
    auth.login(make_user(Role.UNIT_REVIEWER, unit=unit))
    for i in range(55):
        make_professional(unit=unit, name=f"人员{i:02d}", account=False)
    first = client.get("/dashboard/?year=2025")
    assert first.status_code == 200
    assert "人员00" in first.text and "人员49" in first.text and "人员50" not in first.text
    assert 'id="fig-none"' in first.text and "state=none" in first.text  # counts link the list
    assert "下一页" in first.text
    second = client.get("/dashboard/?year=2025&state=none&page=2", headers={"HX-Request": "true"})
    assert second.status_code == 200
    assert second.text.lstrip().startswith('<section id="people"')  # the partial alone
    assert "人员50" in second.text and "人员54" in second.text and "人员49" not in second.text
    assert "上一页" in second.text and "下一页" not in second.text
    found = client.get("/dashboard/?year=2025&q=人员07")
    assert "人员07" in found.text and "人员08" not in found.text
    assert "没有符合条件的人员" in client.get("/dashboard/?year=2025&state=met").text


def test_bad_filter_is_refused_beside_the_field(client, auth, make_unit, make_user):
    auth.login(make_user(Role.UNIT_REVIEWER, unit=make_unit()))
    response = client.get("/dashboard/?year=2025&state=bogus")
    assert response.status_code == 422
    assert 'id="state-error-1">请从列表中选择' in response.text
    response = client.get("/dashboard/?year=2025&q=" + "长" * 51)
    assert response.status_code == 422 and "姓名最多50个字" in response.text


def test_the_queue_and_objections_count_beyond_the_rows_shown(
    unit_year, make_unit, make_professional, make_submitted_declaration
):
    """The dashboard shows the SHOWN longest waiting and oldest objections with their totals
    (one query each: a window count before the LIMIT); another unit's never count."""
    from portal.dashboard import service

    unit = unit_year["reviewer"].unit
    outsider = make_unit(name="外单位")
    start = datetime(2025, 3, 1, tzinfo=UTC)
    for n in range(service.SHOWN + 2):
        # each one made later than the one before, yet waiting (objected) longer: the order
        # is by time, not by id
        when = start - timedelta(hours=n)
        for owner in (unit, outsider):
            person = make_professional(unit=owner, account=False, name=f"{owner.name}{n:02}")
            publicised = make_submitted_declaration(person, status=DeclarationStatus.PUBLICISED)
            db.session.add(Objection(
                declaration_id=publicised.id, name="张", contact="1", content="x", created_at=when,
            ))  # fmt: skip
            make_submitted_declaration(person, year=2024, submitted_at=when)
    db.session.commit()
    overview = service.unit_overview(unit_year["reviewer"], 2025)
    assert len(overview.queue) == service.SHOWN and overview.queue_total == service.SHOWN + 3
    assert len(overview.objections) == service.SHOWN
    assert overview.objections_total == service.SHOWN + 3
    oldest = [f"{unit.name}{n:02}" for n in range(service.SHOWN + 1, -1, -1)]
    mine = [w.name for w in overview.queue if w.year == 2024]
    assert len(mine) >= service.SHOWN - 1 and mine == oldest[: len(mine)]
    assert [o.name for o in overview.objections] == oldest[: service.SHOWN]
    times = [o.created_at for o in overview.objections]
    assert times == sorted(times) and times[0] == start - timedelta(hours=service.SHOWN + 1)
