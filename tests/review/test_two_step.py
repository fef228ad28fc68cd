"""The two-step yearly review (seed 003 五; setting TWO_STEP_REVIEW): the professional claims
first by the authority owning the person's title series (or the unit, per series), then the
general claims and the total by the county bureau. Rights per object, each step audited."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import PersonTitle, Role
from portal.audit.models import AuditEvent
from portal.declarations import service as declarations
from portal.declarations.models import Declaration, DeclarationStatus
from portal.extensions import db
from portal.notifications.models import Notification
from portal.settings import set_setting
from portal.units.models import Authority, FirstReview, TitleLevel, TitleSeries, UnitType

PASSED = DeclarationStatus.PROFESSIONAL_CHECKED


def _state(declaration_id):
    db.session.expire_all()
    return db.session.get(Declaration, declaration_id)


def _events(action):
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _decide(client, declaration, claim, decision="accepted", reason=""):
    prefix = f"c{claim.id}-"
    return client.post(
        f"/review/{declaration.id}/claims/{claim.id}",
        data={prefix + "decision": decision, prefix + "reason": reason},
    )


def _claim(declaration, subject):
    return next(c for c in declaration.claims if c.subject == subject)


@pytest.fixture
def county(ctx, make_unit, make_user, make_professional, make_submitted_declaration):
    """Two-step review on; a school (teachers: 市教体局 first) and a hospital whose series the
    bureau gave to the unit; a private firm; their reviewers and two authority officers."""
    set_setting("TWO_STEP_REVIEW", True)
    edu, health = Authority(name="市教体局"), Authority(name="市卫健委")
    teachers = TitleSeries(name="中小学教师", authority=edu)
    doctors = TitleSeries(name="卫生", authority=health, first_review=FirstReview.UNIT)
    db.session.add_all([teachers, doctors])
    db.session.commit()
    school, hospital = make_unit(name="第一中学"), make_unit(name="县人民医院")
    firm = make_unit(name="某科技公司", type=UnitType.PRIVATE_ENTERPRISE)

    def person(unit, series, name):
        p = make_professional(unit=unit, name=name)
        if series is not None:
            db.session.add(
                PersonTitle(professional=p, series=series, level=TitleLevel.INTERMEDIATE)
            )
        draft = make_submitted_declaration(p, status=DeclarationStatus.DRAFT)
        declarations.submit(p.user, draft)
        db.session.commit()
        return draft

    users = {
        "school": make_user(Role.UNIT_REVIEWER, unit=school),
        "hospital": make_user(Role.UNIT_REVIEWER, unit=hospital),
        "officer": make_user(Role.BUREAU_OFFICER),
        "edu": make_user(Role.AUTHORITY_OFFICER, authority=edu, name="教体局王"),
        "health": make_user(Role.AUTHORITY_OFFICER, authority=health),
    }
    return {
        "users": users,
        "teacher": person(school, teachers, "张老师"),
        "doctor": person(hospital, doctors, "李医生"),
        "untitled": person(school, None, "赵无职称"),
        "freelance": person(firm, None, "钱工程师"),
        "edu": edu,
    }


def test_submission_fixes_who_takes_the_first_step(county):
    teacher, doctor = county["teacher"], county["doctor"]
    assert (teacher.first_step, teacher.first_step_authority_id) == (
        FirstReview.AUTHORITY,
        county["edu"].id,
    )
    assert teacher.first_step_label == "市教体局"
    assert (doctor.first_step, doctor.first_step_authority_id) == (FirstReview.UNIT, None)
    assert doctor.first_step_label == "用人单位"
    assert county["untitled"].first_step is FirstReview.UNIT
    assert county["freelance"].first_step_label == "县人社局"
    # The first step's reviewers hear of it; the teacher's unit does not (the authority does).
    told = {n.user_id for n in db.session.scalars(sa.select(Notification))}
    users = county["users"]
    assert users["edu"].id in told and users["health"].id not in told
    assert users["hospital"].id in told  # the doctor's series goes to the unit first


def test_with_the_setting_off_a_submission_is_one_step(
    county, make_professional, make_submitted_declaration
):
    set_setting("TWO_STEP_REVIEW", False)
    person = make_professional(unit=county["teacher"].professional.unit)
    draft = make_submitted_declaration(person, status=DeclarationStatus.DRAFT)
    declarations.submit(person.user, draft)
    assert draft.first_step is None and not draft.two_step


def test_an_authority_officer_sees_only_its_series_people(client, auth, county):
    auth.login(county["users"]["edu"])
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/review/"
    page = response.text
    assert "专业科目核验" in page  # its nav entry
    assert "张老师" in page
    for other in ("李医生", "赵无职称", "钱工程师"):
        assert other not in page
    doctor = county["doctor"]
    assert client.get(f"/review/{doctor.id}").status_code == 404
    assert _decide(client, doctor, doctor.claims[0]).status_code == 404
    assert client.post(f"/review/{doctor.id}/pass-professional").status_code == 404
    assert client.get("/review/people").status_code == 403  # confirming people is not its own
    auth.logout()
    auth.login(county["users"]["health"])
    teacher = county["teacher"]
    assert "张老师" not in client.get("/review/").text
    assert client.get(f"/review/{teacher.id}").status_code == 404
    assert client.post(f"/review/{teacher.id}/pass-professional").status_code == 404
    assert _state(teacher.id).status is DeclarationStatus.SUBMITTED


def test_the_two_steps_through_the_pages(client, auth, county):
    users, teacher = county["users"], county["teacher"]
    professional, general = _claim(teacher, "professional"), _claim(teacher, "general")
    # Before the first step the bureau neither sees it in its queue nor may act on it.
    auth.login(users["officer"])
    assert "张老师" not in client.get("/review/").text
    refused = client.post(f"/review/{teacher.id}/approve")
    assert refused.status_code == 422
    assert "专业科目须先由市教体局核验通过" in refused.text
    assert _decide(client, teacher, general).status_code == 422
    auth.logout()
    # First step: the authority decides the professional claims (only those) and passes them.
    auth.login(users["edu"])
    page = client.get(f"/review/{teacher.id}").text
    assert "专业科目核验通过" in page and "待市教体局核验" in page
    assert f'action="/review/{teacher.id}/claims/{general.id}"' not in page
    assert _decide(client, teacher, general).status_code == 422
    assert client.post(f"/review/{teacher.id}/pass-professional").status_code == 422  # undecided
    assert _decide(client, teacher, professional).status_code == 303
    assert client.post(f"/review/{teacher.id}/approve").status_code == 422  # not the total
    response = client.post(f"/review/{teacher.id}/pass-professional", data={"note": "材料齐全"})
    assert response.status_code == 303
    state = _state(teacher.id)
    assert state.status is PASSED
    assert state.first_reviewer_id == users["edu"].id and state.first_reviewed_at is not None
    assert state.first_review_note == "材料齐全"
    [event] = _events("review.professional_passed")
    assert event.user_id == users["edu"].id
    assert "张老师" not in client.get("/review/").text  # off the authority's queue
    assert client.get(f"/review/{teacher.id}").status_code == 200  # still readable
    assert _decide(client, teacher, professional, "refused", "x").status_code == 422
    auth.logout()
    # Second step: the bureau decides the general claims and approves the total.
    auth.login(users["officer"])
    queue = client.get("/review/?status=professional_checked").text
    assert "张老师" in queue and "专业科目已核验，待人社局核验" in queue
    assert _decide(client, teacher, professional, "refused", "x").status_code == 422
    assert _decide(client, teacher, general).status_code == 303
    assert client.post(f"/review/{teacher.id}/approve", data={"note": ""}).status_code == 303
    state = _state(teacher.id)
    assert state.status is DeclarationStatus.APPROVED
    assert state.reviewer_id == users["officer"].id
    assert state.first_reviewer_id == users["edu"].id
    assert state.total_hours == state.general_hours + state.professional_hours
    [approved] = _events("review.approved")
    assert approved.user_id == users["officer"].id
    page = client.get(f"/review/{teacher.id}").text
    assert "市教体局 教体局王于" in page and "核验通过" in page
    auth.logout()
    # The professional sees both steps (bodies and times, no staff names).
    auth.login(state.professional.user)
    own = client.get(f"/declarations/{state.year}").text
    assert "第一步 专业科目" in own and "市教体局于" in own and "教体局王" not in own
    texts = [n.text for n in db.session.scalars(sa.select(Notification))]
    assert any("专业科目已由市教体局核验通过" in t for t in texts)


def test_a_unit_first_series_keeps_to_its_own_unit(client, auth, county):
    users, doctor = county["users"], county["doctor"]
    auth.login(users["school"])
    assert client.get(f"/review/{doctor.id}").status_code == 404
    assert client.post(f"/review/{doctor.id}/pass-professional").status_code == 404
    auth.logout()
    auth.login(users["hospital"])
    assert "李医生" in client.get("/review/").text
    assert _decide(client, doctor, _claim(doctor, "professional")).status_code == 303
    assert client.post(f"/review/{doctor.id}/pass-professional").status_code == 303
    assert client.post(f"/review/{doctor.id}/approve").status_code == 422
    assert _state(doctor.id).status is PASSED
    assert "李医生" in _state(doctor.id).professional.name


def test_the_bureau_takes_both_steps_for_its_own_people(client, auth, county):
    freelance = county["freelance"]
    auth.login(county["users"]["officer"])
    assert "钱工程师" in client.get("/review/").text
    assert _decide(client, freelance, _claim(freelance, "professional")).status_code == 303
    assert client.post(f"/review/{freelance.id}/pass-professional").status_code == 303
    assert _decide(client, freelance, _claim(freelance, "general")).status_code == 303
    assert client.post(f"/review/{freelance.id}/approve").status_code == 303
    assert _state(freelance.id).status is DeclarationStatus.APPROVED


def test_evidence_asked_in_the_second_step_goes_through_both_again(client, auth, county):
    users, teacher = county["users"], county["teacher"]
    auth.login(users["edu"])
    _decide(client, teacher, _claim(teacher, "professional"))
    client.post(f"/review/{teacher.id}/pass-professional")
    auth.logout()
    auth.login(users["officer"])
    response = client.post(f"/review/{teacher.id}/request-evidence", data={"note": "补发票"})
    assert response.status_code == 303
    state = _state(teacher.id)
    assert state.status is DeclarationStatus.NEEDS_EVIDENCE
    assert state.first_reviewer_id is None and state.first_reviewed_at is None
    assert client.post(f"/review/{teacher.id}/approve").status_code == 422
    auth.logout()
    auth.login(users["edu"])
    assert "张老师" in client.get("/review/").text  # back at the first step


def test_the_admin_sets_who_checks_a_series_first(client, auth, make_user, county):
    edu = county["edu"]
    series = db.session.scalar(sa.select(TitleSeries).where(TitleSeries.name == "中小学教师"))
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/series").text
    assert "两步核验时专业科目由" in page
    response = client.post(
        f"/admin/series/{series.id}",
        data={
            f"s{series.id}-name": "中小学教师",
            f"s{series.id}-authority": str(edu.id),
            f"s{series.id}-first_review": "unit",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(TitleSeries, series.id).first_review is FirstReview.UNIT
    [event] = _events("series.update")
    assert "专业科目核验：行业主管部门 → 用人单位" in event.detail


def test_the_demo_walks_the_two_steps_when_the_bureau_turns_them_on(app, runner, ctx):
    from portal.accounts.models import Professional, User
    from portal.admin import demo
    from portal.board import service as board
    from portal.declarations.models import ClaimDecision
    from portal.review import service as review

    assert runner.invoke(args=["demo"]).exit_code == 0
    # The demo bureau turned two steps on after its one-step years: the waiting year submitted
    # before stays one-step.
    waiting = db.session.scalars(
        sa.select(Declaration).where(Declaration.status == DeclarationStatus.SUBMITTED)
    ).all()
    assert waiting and all(d.first_step is None for d in waiting)
    from portal.settings import get_setting

    assert get_setting("TWO_STEP_REVIEW")
    # The demo's newly registered teacher: her school confirms her, she declares 2025.
    teacher = db.session.scalar(sa.select(Professional).where(Professional.name == "杨帆"))
    assert teacher.titles[0].series.authority.name == "市教体局"
    school = db.session.scalar(
        sa.select(User).where(User.role == Role.UNIT_REVIEWER, User.unit_id == teacher.unit_id)
    )
    review.confirm_person(school, teacher)
    declaration = demo._declare(
        teacher, 2025, "anhui-2025", demo.DOCTOR_2025, demo._at(2025, 12, 1)
    )
    assert declaration.first_step is FirstReview.AUTHORITY
    staff = {u.username: u for u in db.session.scalars(sa.select(User))}
    authority, officer = staff["authority-edu"], staff["bureau"]
    assert [d.id for d, _ in review.review_queue(authority).window.rows] == [declaration.id]
    assert review.review_queue(staff["authority-health"]).total == 0
    for claim in declaration.claims:
        if claim.subject == "professional":
            review.decide_claim(authority, claim, ClaimDecision.ACCEPTED)
    review.pass_professional(authority, declaration, "专业科目材料齐全")
    # She holds a 正高 title: the second step is the city's (seed 003 五(二)), not the county's.
    assert teacher.titles[0].level is TitleLevel.FULL_SENIOR and declaration.second_step_city
    city = staff["city"]
    assert declaration.id not in [d.id for d, _ in review.review_queue(officer).window.rows]
    assert declaration.id in [d.id for d, _ in review.review_queue(city).window.rows]
    for claim in declaration.claims:
        if claim.subject == "general":
            review.decide_claim(city, claim, ClaimDecision.ACCEPTED)
    review.approve(city, declaration)
    board.open_batch(officer, [declaration.id], board.default_start())
    assert declaration.status is DeclarationStatus.PUBLICISED
    assert declaration.first_reviewer == authority and declaration.reviewer == city


def test_queue_filter_offers_the_second_step_only_in_two_steps(ctx, client, auth, make_user):
    auth.login(make_user(Role.BUREAU_OFFICER))
    option = f'value="{DeclarationStatus.PROFESSIONAL_CHECKED.value}"'
    assert option not in client.get("/review/").text
    set_setting("TWO_STEP_REVIEW", True)
    db.session.commit()
    assert option in client.get("/review/").text


def test_authority_home_says_when_the_two_steps_are_off(ctx, client, auth, make_user):
    auth.login(make_user(Role.AUTHORITY_OFFICER, authority=Authority(name="县水利局")))
    off_text = "本局当前未开启“年度学时分两步核验”"
    assert off_text in client.get("/review/").text
    set_setting("TWO_STEP_REVIEW", True)
    db.session.commit()
    assert off_text not in client.get("/review/").text


# --- issue 21.5: senior-title holders' second step is the city's --------------------------


def _senior_year(county, make_professional, make_submitted_declaration, name, level, obtained):
    """A senior teacher of the school (title `level` obtained on `obtained`), her 2025 year
    submitted in two steps."""
    teacher = county["teacher"]
    person = make_professional(unit=teacher.professional.unit, name=name)
    db.session.add(
        PersonTitle(professional=person, series=teacher.professional.titles[0].series,
                    level=level, obtained=obtained)
    )  # fmt: skip
    draft = make_submitted_declaration(person, year=2025, status=DeclarationStatus.DRAFT)
    declarations.submit(person.user, draft)
    db.session.commit()
    return draft


@pytest.fixture
def senior(county, make_professional, make_submitted_declaration, make_user):
    """A 副高 teacher of the school (title obtained 2019), her 2025 year submitted in two steps,
    and the city's officer."""
    from datetime import date

    draft = _senior_year(
        county, make_professional, make_submitted_declaration, "孙副高",
        TitleLevel.DEPUTY_SENIOR, date(2019, 5, 1),
    )  # fmt: skip
    county["users"]["city"] = make_user(Role.CITY_OFFICER, name="市局孙")
    return draft


def _pass_first_step(county, declaration):
    from portal.declarations.models import ClaimDecision
    from portal.review import service as review

    edu = county["users"]["edu"]
    for claim in declaration.claims:
        if claim.subject == "professional":
            review.decide_claim(edu, claim, ClaimDecision.ACCEPTED)
    review.pass_professional(edu, declaration, "")
    db.session.commit()


def test_a_senior_holders_second_step_goes_to_the_city(client, auth, county, senior):
    from portal.review import service as review

    assert senior.second_step_city and senior.second_step_label == "市人社局"
    assert not county["teacher"].second_step_city  # 中级: the county's
    _pass_first_step(county, senior)
    users = county["users"]
    assert senior.id not in [d.id for d, _ in review.review_queue(users["officer"]).window.rows]
    assert [d.id for d, _ in review.review_queue(users["city"]).window.rows] == [senior.id]
    told = db.session.scalars(sa.select(Notification).filter_by(user_id=users["city"].id)).all()
    assert told  # the city hears that it waits
    # The county officer acting on it gets a clear Chinese refusal; nothing changes.
    auth.login(users["officer"])
    general = _claim(senior, "general")
    refused = _decide(client, senior, general)
    assert refused.status_code == 422 and "由市人社局核验" in refused.text  # beside the claim
    refused = client.post(f"/review/{senior.id}/approve")
    assert refused.status_code == 422 and "县人社局不能办理" in refused.text
    assert _state(senior.id).status is PASSED
    auth.logout()
    # The city sees it beside the verifications to confirm, and takes the step.
    auth.login(users["city"])
    landing = client.get("/", follow_redirects=True)
    assert "年度学时核验" in landing.text and "孙副高" in landing.text
    assert "专业科目已核验，待市人社局核验" in landing.text  # its state names who acts next
    assert _decide(client, senior, general).status_code in (200, 303)
    assert client.post(f"/review/{senior.id}/approve").status_code == 303
    approved = _state(senior.id)
    assert approved.status is DeclarationStatus.APPROVED and approved.reviewer == users["city"]


def test_the_city_verification_page_shows_the_longest_waiting_yearly_steps(
    client, auth, county, senior, make_professional, make_submitted_declaration, monkeypatch
):
    """Beside the verification sheets, the city's longest waiting second steps (the full list
    is the city's queue and /review/), oldest first, with how many wait in all."""
    from datetime import date

    from portal.verification import views

    draft = _senior_year(
        county, make_professional, make_submitted_declaration, "周正高",
        TitleLevel.FULL_SENIOR, date(2018, 5, 1),
    )  # fmt: skip
    _pass_first_step(county, senior)
    _pass_first_step(county, draft)
    auth.login(county["users"]["city"])
    page = client.get("/verification/").text
    assert "（2 份待核验）" in page and "孙副高" in page and "周正高" in page
    assert "以下为等待最久的" not in page
    monkeypatch.setattr(views, "YEARLY_SHOWN", 1)
    page = client.get("/verification/").text
    section = page.split('class="card city-yearly"')[1].split("</section>")[0]
    assert "（2 份待核验）" in section and "以下为等待最久的 1 份" in section
    assert "孙副高" in section and "周正高" not in section  # submitted first, waiting longest


def test_a_title_obtained_after_the_year_does_not_send_it_to_the_city(
    county, make_professional, make_submitted_declaration
):
    from datetime import date

    person = make_professional(unit=county["teacher"].professional.unit)
    db.session.add(
        PersonTitle(professional=person, series=county["teacher"].professional.titles[0].series,
                    level=TitleLevel.DEPUTY_SENIOR, obtained=date(2026, 3, 1))
    )  # fmt: skip
    draft = make_submitted_declaration(person, year=2025, status=DeclarationStatus.DRAFT)
    declarations.submit(person.user, draft)
    assert draft.two_step and not draft.second_step_city


def test_with_one_step_nothing_changes_for_senior_holders(
    county, make_professional, make_submitted_declaration
):
    set_setting("TWO_STEP_REVIEW", False)
    person = make_professional(unit=county["teacher"].professional.unit)
    db.session.add(
        PersonTitle(professional=person, series=county["teacher"].professional.titles[0].series,
                    level=TitleLevel.FULL_SENIOR)
    )  # fmt: skip
    draft = make_submitted_declaration(person, year=2025, status=DeclarationStatus.DRAFT)
    declarations.submit(person.user, draft)
    assert not draft.two_step and not draft.second_step_city


# --- issue 20.4: no first step waits where nobody can see it --------------------------------


@pytest.fixture
def unstaffed(county, make_professional, make_submitted_declaration):
    """A 工程 series whose authority (市住建局) has no officer account; an engineer of the
    school declares in two steps."""
    works = TitleSeries(name="工程", authority=Authority(name="市住建局"))
    db.session.add(works)
    person = make_professional(unit=county["teacher"].professional.unit, name="周工程")
    db.session.add(PersonTitle(professional=person, series=works, level=TitleLevel.INTERMEDIATE))
    draft = make_submitted_declaration(person, status=DeclarationStatus.DRAFT)
    declarations.submit(person.user, draft)
    db.session.commit()
    return draft


def test_a_first_step_without_an_authority_officer_goes_to_the_unit(county, unstaffed):
    from portal.declarations.models import ClaimDecision
    from portal.review import service as review

    school = county["users"]["school"]
    assert unstaffed.first_step is FirstReview.AUTHORITY  # as the series says
    assert unstaffed.id in [d.id for d, _ in review.review_queue(school).window.rows]
    told = db.session.scalars(sa.select(Notification).filter_by(user_id=school.id)).all()
    assert any("周工程" in n.text for n in told)
    for claim in unstaffed.claims:
        if claim.subject == "professional":
            review.decide_claim(school, claim, ClaimDecision.ACCEPTED)
    review.pass_professional(school, unstaffed, "")
    assert unstaffed.status is PASSED
    assert unstaffed.id in [
        d.id for d, _ in review.review_queue(county["users"]["officer"]).window.rows
    ]


def test_turning_two_steps_off_leaves_no_declaration_unseen(client, auth, county, unstaffed):
    set_setting("TWO_STEP_REVIEW", False)
    db.session.commit()
    auth.login(county["users"]["school"])
    assert "周工程" in client.get("/review/").text
    auth.logout()
    auth.login(county["users"]["edu"])
    page = client.get("/review/").text
    assert "张老师" in page and "暂无核验任务" not in page  # its queue is not empty


def test_the_bureau_lists_every_first_step_waiting_by_authority(client, auth, county, unstaffed):
    auth.login(county["users"]["officer"])
    page = client.get("/review/first-steps")
    assert page.status_code == 200
    text = page.text
    assert "市住建局：1 份" in text and "该部门没有经办人账号" in text
    assert "市教体局：1 份" in text and "张老师" in text and "周工程" in text
    assert "已等待" in text
    auth.logout()
    auth.login(county["users"]["school"])
    assert client.get("/review/first-steps").status_code == 403


def test_turning_two_steps_on_warns_of_authorities_without_officers(
    client, auth, county, unstaffed, make_user
):
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/settings").text
    assert (
        "没有经办人账号：市住建局" in page
        and "市教体局" not in page.split("没有经办人账号")[1][:40]
    )
