"""Cycle verification: the demo-like five-year cycles, rights, issuing and superseding, the
city's confirmation, the sheet as PDF and the public check page."""

import json
import subprocess
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from portal.accounts.models import PersonTitle, Role, User
from portal.declarations.models import Claim
from portal.extensions import db
from portal.people.service import registered_years
from portal.refusal import Refusal
from portal.settings import set_setting
from portal.units.models import Authority, TitleLevel, TitleSeries, UnitType
from portal.verification import service
from portal.verification.models import Verification, VerificationKind, VerificationStatus


@pytest.fixture
def series(ctx):
    row = TitleSeries(name="教师", authority=Authority(name="县教体局"))
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture(autouse=True)
def portal_since_2021(make_professional, make_registered_declaration):
    """The county registered its first year through the portal in 2021: an empty year from
    then on is 无登记, never 系统启用前."""
    make_registered_declaration(make_professional(), 2021, rule_set="hefei-2021")


@pytest.fixture
def unit(make_unit):
    return make_unit(name="示范县第一中学", type=UnitType.INSTITUTION)


@pytest.fixture
def officer(make_user):
    return make_user(Role.BUREAU_OFFICER, name="方卫国")


@pytest.fixture
def person_with(make_professional, make_registered_declaration, series, unit):
    """A person appointed in 2021 with registered years {year: (general, professional)}."""

    def make(years, appointed=date(2021, 1, 1), level=TitleLevel.INTERMEDIATE, **kwargs):
        person = make_professional(unit=unit, **kwargs)
        person.titles.append(
            PersonTitle(series=series, level=level, obtained=appointed, appointed=appointed)
        )
        for year, (general, professional) in years.items():
            rule_set = "anhui-2025" if year >= 2025 else "hefei-2021"
            declaration = make_registered_declaration(
                person, year, general, professional, rule_set=rule_set
            )
            declaration.claims.append(  # the professional claim its hours were counted from
                Claim(kind="training.decided" if year < 2025 else "training",
                      subject="professional", facts={}, hours=professional,
                      counted_professional=professional, counted_general=0,
                      details={"title": f"{year}年度专业培训"})
            )  # fmt: skip
        db.session.commit()
        return person

    return make


def ask(series, level=TitleLevel.INTERMEDIATE, first=2021, last=2025, cross=False, kind=None):
    return service.Request(
        kind=kind or VerificationKind.CYCLE,
        series=series,
        level=level,
        application_year=last,
        first_year=first,
        last_year=last,
        cross_major=cross,
    )


FULL = (30, 60)
PASSING = dict.fromkeys(range(2021, 2026), FULL)
CRAMMED = {2024: (30, 60), 2025: (120, 240)}  # 2021–2023: nothing registered
MADE_UP = {**PASSING, 2023: (30, 40), 2024: (30, 80)}


def test_registered_years_is_what_verification_counts(person_with):
    person = person_with({2023: FULL, 2025: (10, 70)})
    years = registered_years(person)
    assert [(y.year, y.rule_set, y.general, y.professional, y.source) for y in years] == [
        (2023, "hefei-2021", 30, 60, "portal"),
        (2025, "anhui-2025", 10, 70, "portal"),
    ]


def test_a_full_cycle_passes(person_with, series):
    computation = service.compute(person_with(PASSING), ask(series))
    assert computation.result.ok
    assert computation.result.average.total == 90.0
    assert computation.missing_years == []


def test_crammed_into_one_year_fails_under_the_cap(person_with, series):
    computation = service.compute(person_with(CRAMMED), ask(series))
    result = computation.result
    assert not result.ok
    assert computation.missing_years == [2021, 2022, 2023]
    assert result.years[-1].counted_total == 180  # capped at 2 × 90
    assert any("未达到规定" in reason for reason in result.reasons)


def test_a_shortfall_made_up_by_the_next_year(ctx, person_with, series):
    set_setting("CYCLE_MAKEUP", True)
    computation = service.compute(person_with(MADE_UP), ask(series))
    assert computation.result.ok
    assert any("已由2024年度补学" in reason for reason in computation.result.reasons)
    crammed = service.compute(person_with(CRAMMED), ask(series))
    assert not crammed.result.ok  # make-up reaches one year back only


def test_cross_major_counts_only_the_claims_marked_in_the_speciality(person_with, series):
    """Issue 21.2: four ordinary years no longer pass the intermediate rule by themselves."""
    person = person_with(PASSING)
    unmarked = service.compute(person, ask(series, cross=True))
    assert unmarked.result.cross_major.hours == 0 and not unmarked.result.ok
    assert [c.year for c in unmarked.candidates] == [2021, 2022, 2023, 2024, 2025]
    marked = [c for c in unmarked.candidates if c.year in (2023, 2024, 2025)]
    request = replace(ask(series, cross=True), speciality_claims=tuple(c.id for c in marked))
    computation = service.compute(person, request)
    assert computation.result.cross_major.hours == sum(c.hours for c in marked) == 180
    assert not computation.result.ok  # 180 < 200
    every = replace(request, speciality_claims=tuple(c.id for c in unmarked.candidates))
    assert service.compute(person, every).result.ok  # 300 >= 200
    senior = service.compute(person, replace(every, level=TitleLevel.DEPUTY_SENIOR))
    assert senior.result.cross_major.required == 400 and not senior.result.ok
    assert [s.as_dict()["hours"] for s in computation.speciality] == [60, 60, 60]
    stranger = replace(request, speciality_claims=(999999,))
    with pytest.raises(Refusal, match="不在该人员验证年度"):
        service.compute(person, stranger)


@pytest.mark.parametrize(
    ("level", "tenure"),
    [(TitleLevel.FULL_SENIOR, 5), (TitleLevel.DEPUTY_SENIOR, 5), (TitleLevel.INTERMEDIATE, 4),
     (TitleLevel.JUNIOR, 2)],
)  # fmt: skip
def test_default_years_end_with_the_last_finished_year(person_with, level, tenure):
    """Issue 21.3: from the appointment to the last finished year, at most the tenure."""
    person = person_with({}, appointed=date(2016, 9, 1))
    default = service.default_years(person, VerificationKind.CYCLE, 2026, level)
    assert (default.first, default.last) == (2025 - tenure + 1, 2025)
    late = person_with({}, appointed=date(2024, 3, 1))
    default = service.default_years(late, VerificationKind.CYCLE, 2026, level)
    assert (default.first, default.last) == (max(2024, 2025 - tenure + 1), 2025)
    assert "任现职" in default.basis or tenure <= 2


def test_the_application_year_counts_once_registered(person_with):
    person = person_with({2025: FULL}, appointed=date(2016, 9, 1))
    default = service.default_years(person, VerificationKind.CYCLE, 2025, TitleLevel.INTERMEDIATE)
    assert (default.first, default.last) == (2022, 2025)
    default = service.default_years(person, VerificationKind.CYCLE, 2026, TitleLevel.INTERMEDIATE)
    assert (default.first, default.last) == (2022, 2025)  # 2026 not finished


def test_internal_promotion_defaults_to_the_latest_three_finished_years(person_with):
    person = person_with({}, appointed=date(2020, 9, 1))
    default = service.default_years(person, VerificationKind.INTERNAL, 2026)
    assert (default.first, default.last) == (2023, 2025)


def test_the_tenure_table_is_the_bureaus(ctx, person_with):
    set_setting("TENURE_YEARS_INTERMEDIATE", 3)
    person = person_with({}, appointed=date(2016, 9, 1))
    default = service.default_years(person, VerificationKind.CYCLE, 2026, TitleLevel.INTERMEDIATE)
    assert (default.first, default.last) == (2023, 2025)


def test_the_form_defaults_to_the_next_level_and_its_years(ctx, person_with, monkeypatch):
    monkeypatch.setattr(service, "application_year_default", lambda: 2026)
    person = person_with(PASSING, appointed=date(2019, 9, 1))  # 中级 since 2019
    defaults = service.form_defaults(person, VerificationKind.CYCLE)
    assert defaults["level"] == "deputy_senior"
    assert (defaults["first_year"], defaults["last_year"]) == (2021, 2025)
    computation = service.compute(
        person, ask(person.titles[0].series, TitleLevel.DEPUTY_SENIOR, 2021, 2025)
    )
    assert computation.result.ok and computation.next_year == {}


def test_the_sheet_says_who_chose_the_years(app, person_with, series, officer, monkeypatch):
    monkeypatch.setattr(service, "application_year_default", lambda: 2026)
    person = person_with(PASSING, appointed=date(2019, 9, 1))
    request = replace(ask(series, TitleLevel.DEPUTY_SENIOR), application_year=2026)
    with app.test_request_context():
        kept = service.issue(officer, person, request)
        chosen = service.issue(officer, person, replace(request, first_year=2022))
    assert kept.content["years_choice"]["by"] == "default"
    assert "按默认" in kept.content["years_choice"]["text"]
    assert chosen.content["years_choice"]["by"] == "chosen"
    assert chosen.content["years_choice"]["chooser"] == "经办人方卫国"
    assert "由经办人方卫国选定（默认为2021–2025年度" in chosen.content["years_choice"]["text"]


def test_years_before_a_transfer_are_not_asked(person_with, series):
    """Issue 21.4: years before the transfer year read 调入前 and are not counted."""
    person = person_with({2023: FULL, 2024: FULL, 2025: FULL}, transfer_in_date=date(2023, 7, 1))
    computation = service.compute(person, ask(series))
    assert [r.source for r in computation.rows][:2] == ["before_transfer"] * 2
    assert [y.year for y in computation.result.years] == [2023, 2024, 2025]
    assert computation.result.ok and computation.missing_years == []
    sheet = service.sheet_data(computation)
    assert [y["source_label"] for y in sheet["years"]][:3] == ["调入前", "调入前", "本系统登记"]
    # a year entered for a year before the transfer is asked, and so are those after it
    entered = person_with({2022: FULL, 2023: FULL, 2024: FULL, 2025: FULL},
                          transfer_in_date=date(2023, 7, 1))  # fmt: skip
    computation = service.compute(entered, ask(series))
    assert [r.source for r in computation.rows] == ["before_transfer"] + ["portal"] * 4
    # the transfer year itself is asked
    late = person_with({2024: FULL, 2025: FULL}, transfer_in_date=date(2023, 7, 1))
    computation = service.compute(late, ask(series))
    assert computation.missing_years == [2023] and not computation.result.ok


def test_years_before_the_portal_are_never_failed(app, client, auth, person_with, series, officer):
    """Issue 20.11: a year before the portal's first with nothing entered is 系统启用前未录入;
    no verdict (never 未通过) until its paper certificate is entered."""
    person = person_with({2021: FULL, 2022: FULL, 2023: FULL, 2024: FULL, 2025: FULL})
    computation = service.compute(person, ask(series, first=2019))
    assert computation.before_portal_years == [2019, 2020]
    assert not computation.complete
    with app.test_request_context(), pytest.raises(Refusal, match="本系统启用前"):
        service.issue(officer, person, ask(series, first=2019))
    auth.login(officer)
    page = client.get(
        f"/verification/people/{person.id}/new?kind=cycle&series={series.id}&level=intermediate"
        "&application_year=2025&first_year=2019&last_year=2025"
    )
    assert "尚不能判断" in page.text and "系统启用前未录入" in page.text
    assert "未通过" not in page.text and "出具验证单</button>" not in page.text
    assert "合肥市专业技术人员继续教育学时核定明细表" in page.text  # the name, not hefei-2021


def test_issuing_keeps_and_supersedes(app, person_with, series, officer):
    person = person_with(PASSING)
    with app.test_request_context():
        first = service.issue(officer, person, ask(series))
        second = service.issue(officer, person, ask(series))
    db.session.commit()
    assert first.superseded_by_id == second.id and second.superseded_by_id is None
    assert first.number != second.number and len(second.code) == 28
    assert second.content["result"]["ok"] is True
    first.content = {}
    with pytest.raises(ValueError, match="cannot be edited"):
        db.session.flush()
    db.session.rollback()


def test_a_senior_verification_goes_to_the_city(app, person_with, series, officer, make_user):
    person = person_with(PASSING)
    city = make_user(Role.CITY_OFFICER)
    with app.test_request_context():
        senior = service.issue(officer, person, ask(series, TitleLevel.DEPUTY_SENIOR))
        intermediate = service.issue(
            officer, person_with(PASSING), ask(series, TitleLevel.INTERMEDIATE)
        )
        assert senior.status is VerificationStatus.SENT
        assert intermediate.status is VerificationStatus.ISSUED
        visible = db.session.scalars(service.visible(city)).all()
        assert visible == [senior]
        with pytest.raises(Refusal):
            service.return_to_county(city, senior, "")
        service.return_to_county(city, senior, "2023年度学时证明不清")
        assert senior.status is VerificationStatus.RETURNED
        with pytest.raises(Refusal):
            service.confirm(city, senior)


def test_a_unit_checks_only_its_own_people_and_only_internally(
    client, auth, person_with, make_unit, make_user, make_professional
):
    person = person_with(PASSING)
    own = make_user(Role.UNIT_REVIEWER, unit=person.unit)
    other = make_user(Role.UNIT_REVIEWER, unit=make_unit())
    auth.login(other)
    assert client.get(f"/verification/people/{person.id}/new").status_code == 404
    auth.logout()
    auth.login(own)
    page = client.get(f"/verification/people/{person.id}/new")
    assert page.status_code == 200 and "单位内部晋升" in page.text
    response = client.post(
        f"/verification/people/{person.id}/new",
        data={
            "kind": "cycle",  # a unit cannot issue a title application's verification
            "series": str(person.titles[0].series_id),
            "level": "intermediate",
            "application_year": 2025,
            "first_year": 2023,
            "last_year": 2025,
        },
    )
    assert response.status_code == 303
    issued = db.session.scalar(sa.select(Verification))
    assert issued.kind is VerificationKind.INTERNAL and issued.unit_id == person.unit_id
    assert issued.content["body"] == person.unit.name
    assert client.get(response.headers["Location"]).status_code == 200


def test_officer_opens_and_issues(client, auth, person_with, officer):
    person = person_with(CRAMMED)
    auth.login(officer)
    page = client.get(f"/verification/people/{person.id}/new")
    assert page.status_code == 200
    assert "无登记" in page.text and "未通过" in page.text and "出具验证单" in page.text
    form = {
        "kind": "cycle",
        "series": str(person.titles[0].series_id),
        "level": "intermediate",
        "application_year": 2025,
        "first_year": 2026,
        "last_year": 2025,
    }
    refused = client.post(f"/verification/people/{person.id}/new", data=form)
    assert refused.status_code == 422 and "起始年度不能晚于截止年度" in refused.text
    response = client.post(
        f"/verification/people/{person.id}/new", data={**form, "first_year": 2021}
    )
    assert response.status_code == 303
    shown = client.get(response.headers["Location"])
    assert "学时验证单" in shown.text and "未通过" in shown.text
    from portal.notifications.models import Notification

    told = db.session.scalars(sa.select(Notification).filter_by(user_id=person.user.id)).all()
    assert [n.kind for n in told] == ["verification.issued"] and "未通过" in told[0].text


def test_the_professional_checks_their_own_cycle(client, auth, person_with, monkeypatch):
    """Issue 20.11: the default years are the tenure's (not 10), rule sets by name."""
    monkeypatch.setattr(service, "application_year_default", lambda: 2026)
    person = person_with({**PASSING, 2025: (30, 40)}, appointed=date(2015, 9, 1))
    auth.login(person.user)
    page = client.get("/verification/self")
    assert page.status_code == 200 and "学时自查" in page.text
    assert 'name="first_year" type="text" value="2021"' in page.text or 'value="2021"' in page.text
    page = client.get("/verification/self?level=deputy_senior&first_year=2021&last_year=2025")
    assert page.status_code == 200
    assert "专业科目差20学时" in page.text and "由本人选定" not in page.text
    assert "hefei-2021" not in page.text and "安徽省专业技术人员继续教育学时认定标准" in page.text
    assert "须在下一年度补学" not in page.text  # only the make-up reading asks that


def test_show_command_prints_json(app, runner, person_with, series, officer):
    person = person_with(MADE_UP)
    with app.test_request_context():
        issued = service.issue(officer, person, ask(series))
    db.session.commit()
    result = runner.invoke(args=["verification", "show", str(issued.id)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert person.id_number not in result.output
    assert data["number"] == issued.number and data["status"] == "issued"
    assert data["title"]["series"] == "教师" and data["title"]["level"] == "中级"
    assert {"years", "average", "cross_major", "ok", "reasons"} <= set(data)  # `rules cycle`
    assert data["ok"] is True and "已由2024年度补学" not in " ".join(data["reasons"])  # cap
    assert data["years"][2] == {
        "year": 2023,
        "counted_general": 30,
        "counted_professional": 40,
        "counted_total": 70,
        "compliant": False,
        "rule_set": "hefei-2021",
        "general": 30,
        "professional": 40,
        "source": "portal",
        "source_label": "本系统登记",
        "asked": True,
    }
    assert data["verdict"] == "通过" and data["years_choice"]["first"] == 2021
    assert data["speciality"] == [] and "平均达到规定学时" in data["basis"]
    missing = runner.invoke(args=["verification", "show", "999"])
    assert missing.exit_code == 2 and "没有学时验证单" in missing.output


def test_the_sheet_pdf_and_the_public_check(
    app, client, auth, person_with, series, officer, tmp_path
):
    person = person_with(PASSING)
    with app.test_request_context():
        issued = service.issue(officer, person, ask(series))
    db.session.commit()
    auth.login(officer)
    response = client.get(f"/verification/{issued.id}/sheet.pdf")
    if response.status_code == 503:
        pytest.skip("no CJK font on this machine")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(response.data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts.stdout  # every font embedded
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "学时验证单" in text and issued.number in text and person.id_number not in text
    auth.logout()
    check = client.get(f"/verification/check/{issued.code.lower()}")
    assert check.status_code == 200 and "验证单真实有效" in check.text
    assert person.name not in check.text and person.id_number not in check.text


def test_the_demo_shows_the_verdicts_of_issue_21(app, runner, ctx):
    """Without any setting changed: the average passes a short year, cramming fails, a
    cross-major speciality selection, 调入前 years, a senior holder's year at the city."""
    from portal.declarations.models import Declaration, DeclarationStatus
    from portal.review import service as review

    assert runner.invoke(args=["demo"]).exit_code == 0
    issued = {v.professional.name: v for v in db.session.scalars(sa.select(Verification)).all()}
    average = issued["田野"]
    assert average.ok and not all(y["compliant"] for y in average.content["years"])
    assert average.content["policy"]["cramming"] == "cap"  # the default reading
    assert "平均达到规定学时" in average.content["basis"]
    crammed = issued["彭丽华"]
    assert not crammed.ok and (crammed.first_year, crammed.last_year) == (2024, 2025)
    assert any("突击完成" in r and r.startswith("2025年度计入总学时")
               for r in crammed.content["result"]["reasons"])  # fmt: skip
    assert not issued["吕志刚"].ok
    cross = issued["唐建华"]
    assert cross.cross_major and cross.ok and cross.content["result"]["cross_major"]["hours"] == 420
    assert {s["title"] for s in cross.content["speciality"]} == {
        f"{y}年度会计专业（财务管理）继续教育培训" for y in range(2021, 2026)
    }
    moved = issued["冯丽"]
    assert [y["source_label"] for y in moved.content["years"]][:2] == ["调入前", "调入前"]
    assert moved.ok
    senior = issued["王晓梅"]
    assert senior.ok and senior.status is VerificationStatus.SENT
    assert all(v.content["years_choice"]["by"] == "default" for v in issued.values())
    city = db.session.scalar(sa.select(User).filter_by(username="city"))
    waiting = [d for d, _ in review.review_queue(city).window.rows]
    assert [(d.name, d.status) for d in waiting] == [
        ("阎春生", DeclarationStatus.PROFESSIONAL_CHECKED)
    ]
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent
    assert db.session.scalar(sa.select(sa.func.count(Verification.id))) == 6
    assert db.session.scalar(sa.select(sa.func.count(Declaration.id)).where(
        Declaration.second_step_city.is_(True))) == 1  # fmt: skip


def test_the_city_confirms_or_returns_over_the_pages(
    app, client, auth, person_with, series, officer, make_user
):
    with app.test_request_context():
        sent = service.issue(officer, person_with(PASSING), ask(series, TitleLevel.FULL_SENIOR))
        other = service.issue(officer, person_with(PASSING), ask(series, TitleLevel.DEPUTY_SENIOR))
        kept = service.issue(officer, person_with(PASSING), ask(series))  # intermediate
    db.session.commit()
    auth.login(make_user(Role.CITY_OFFICER))
    listing = client.get("/verification/")
    assert sent.number in listing.text and other.number in listing.text
    assert kept.number not in listing.text
    assert client.get(f"/verification/{kept.id}").status_code == 404
    assert client.get(f"/verification/{sent.id}/sheet.pdf").status_code in (200, 503)
    refused = client.post(f"/verification/{other.id}/return", data={"reason": ""})
    assert refused.status_code == 422 and "请写明退回理由" in refused.text
    assert client.post(f"/verification/{sent.id}/confirm").status_code == 303
    assert (
        client.post(f"/verification/{other.id}/return", data={"reason": "材料不全"}).status_code
        == 303
    )
    db.session.expire_all()
    assert sent.status is VerificationStatus.CONFIRMED and sent.city_by is not None
    assert other.status is VerificationStatus.RETURNED and other.city_note == "材料不全"
    again = client.post(f"/verification/{sent.id}/confirm")
    assert again.status_code == 409
    auth.logout()
    auth.login(officer)
    shown = client.get(f"/verification/{other.id}")
    assert "市人社局退回" in shown.text and "材料不全" in shown.text


def test_a_unit_prints_its_internal_check(app, client, auth, person_with, make_user):
    person = person_with(PASSING)
    reviewer = make_user(Role.UNIT_REVIEWER, unit=person.unit)
    with app.test_request_context():
        issued = service.issue(
            reviewer,
            person,
            ask(person.titles[0].series, first=2023, kind=VerificationKind.INTERNAL),
        )
    db.session.commit()
    auth.login(reviewer)
    response = client.get(f"/verification/{issued.id}/sheet.pdf")
    if response.status_code == 503:
        pytest.skip("no CJK font on this machine")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with pytest.raises(Refusal):  # three years, no more
        service.compute(person, ask(person.titles[0].series, kind=VerificationKind.INTERNAL))


def test_the_open_page_computes_its_defaults_with_csrf_on(csrf_app, person_with, officer):
    person = person_with(PASSING)
    client = csrf_app.test_client()
    with client.session_transaction() as session:  # logged in as a login would leave it
        session["_user_id"] = officer.get_id()
        session["_fresh"] = True
    page = client.get(f"/verification/people/{person.id}/new")
    assert page.status_code == 200 and "出具验证单" in page.text
