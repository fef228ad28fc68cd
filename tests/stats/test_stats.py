"""Statistics against a hand-counted county: 8 people on record in unit A (5), unit B (2) and
one freelancer; 5 declared, 4 registered, 3 compliant."""

import json
import re
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from portal.accounts.models import PersonStatus, PersonTitle, Role
from portal.declarations.models import ClaimDecision, DeclarationStatus
from portal.extensions import db
from portal.review import service as review
from portal.stats import service
from portal.units.models import Authority, TitleLevel, TitleSeries, UnitType
from tests.hostile import plain_pdf

TRAINING_10 = {"kind": "training", "facts": {"days": 10}, "subject": "professional"}  # 60 h


def courseware(hours):
    return {"kind": "courseware", "facts": {"hours": hours}, "subject": "general"}


@pytest.fixture
def county(
    ctx,
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
    make_submitted_declaration,
):
    """Titles are PersonTitle rows; the free-text fields and the unit's authority say otherwise
    on purpose (unit A belongs to 县教育局, p5's free text says 教师), so that a count by them
    would differ."""
    edu, health, build, finance = (
        Authority(name=n) for n in ("县教育局", "县卫健委", "县住建局", "县财政局")
    )
    db.session.add_all([edu, health, build, finance])
    series = {
        name: TitleSeries(name=name, authority=authority)
        for name, authority in (("教师", edu), ("卫生", health), ("工程", build), ("会计", finance))
    }
    db.session.add_all(series.values())
    db.session.commit()

    def title(person, name, level, obtained):
        db.session.add(
            PersonTitle(professional=person, series=series[name], level=level, obtained=obtained)
        )
        db.session.commit()

    a = make_unit(name="第一中学", type=UnitType.INSTITUTION, authority_id=edu.id)
    b = make_unit(name="城投公司", type=UnitType.STATE_ENTERPRISE)
    p1 = make_professional(unit=a)
    title(p1, "教师", TitleLevel.INTERMEDIATE, date(2015, 9, 1))
    # p1: training 10 days (60 professional), courseware 28 h and courseware 10 h which the
    # reviewer reduced to 5: the general courseware cap (30 a year) lets 2 of them count.
    d1 = make_submitted_declaration(
        p1,
        year=2025,
        claims=(TRAINING_10, courseware(28), courseware(10)),
        status=DeclarationStatus.REGISTERED,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )
    d1.claims[2].decision, d1.claims[2].accepted_hours = ClaimDecision.REDUCED, 5
    db.session.commit()
    p2 = make_professional(unit=a)
    # A dated title wins over an undated one (carried over from the registration form).
    title(p2, "卫生", TitleLevel.JUNIOR, None)
    title(p2, "教师", TitleLevel.JUNIOR, date(2019, 1, 1))
    make_submitted_declaration(  # not compliant: 20 + 42
        p2,
        year=2025,
        claims=(courseware(20), {**TRAINING_10, "facts": {"days": 7}}),
        status=DeclarationStatus.REGISTERED,
        general_hours=20,
        professional_hours=42,
        total_hours=62,
        compliant=False,
    )
    p3 = make_professional(unit=a)
    title(p3, "教师", TitleLevel.INTERMEDIATE, None)  # undated, alone: it counts
    make_submitted_declaration(p3, year=2025)  # declared, waiting
    p4 = make_professional(unit=a)  # nothing declared; 初级 in 2025, 中级 from 2026
    title(p4, "教师", TitleLevel.JUNIOR, date(2020, 7, 1))
    title(p4, "教师", TitleLevel.INTERMEDIATE, date(2026, 3, 1))
    p5 = make_professional(unit=a, title_series="教师", title_level="中级")
    title(p5, "卫生", TitleLevel.DEPUTY_SENIOR, date(2010, 1, 1))
    make_submitted_declaration(p5, year=2025, status=DeclarationStatus.DRAFT)  # not declared
    pending = make_professional(unit=a, status=PersonStatus.PENDING)  # not on record
    make_registered_declaration(pending, 2025)
    q1 = make_professional(unit=b)
    title(q1, "工程", TitleLevel.INTERMEDIATE, date(2018, 1, 1))
    # Approved through the review's rules: the parts are stored. The conference (another item
    # of 第十二条) does not count beside the training: highest-only.
    dq = make_submitted_declaration(
        q1,
        year=2025,
        claims=(
            TRAINING_10,
            {"kind": "conference", "facts": {"paper_chars": 5000}, "subject": "professional"},
            courseware(30),
        ),
        status=DeclarationStatus.REGISTERED,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )
    dq.keep_counted(review.accepted_year(dq))
    db.session.commit()
    make_registered_declaration(q1, 2024, general=90, professional=90)  # another year
    make_professional(unit=b)  # q2: no title at all
    f1 = make_professional(unit=None)
    title(f1, "会计", TitleLevel.INTERMEDIATE, date(2016, 1, 1))
    # A full-year claim (援藏): 30 + 60 for the year; the courseware beside it adds nothing.
    make_submitted_declaration(
        f1,
        year=2025,
        claims=({"kind": "aid.assignment", "subject": "professional"}, courseware(12)),
        status=DeclarationStatus.REGISTERED,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )
    return {
        "a": a,
        "b": b,
        "series": series,
        "authorities": {"edu": edu, "health": health},
        "q1_claims": dq.claims,
        "ra": make_user(Role.UNIT_REVIEWER, unit=a),
        "officer": make_user(Role.BUREAU_OFFICER),
    }


def test_county_totals(county):
    stats = service.statistics(None, service.Filters(2025))
    o = stats.overall
    assert (o.people, o.declared, o.registered, o.compliant) == (8, 5, 4, 3)
    assert o.completion_rate == 0.375
    assert (o.general, o.professional) == (110, 222)
    by_unit = {r.label: r.as_dict() for r in stats.by_unit}
    assert by_unit["第一中学"] | {} == {
        "key": str(county["a"].id),
        "label": "第一中学",
        "people": 5,
        "declared": 3,
        "registered": 2,
        "compliant": 1,
        "completion_rate": 0.2,
        "general": 50,
        "professional": 102,
        "total": 152,
    }
    assert (by_unit["城投公司"]["people"], by_unit["城投公司"]["compliant"]) == (2, 1)
    assert (by_unit["自由职业"]["people"], by_unit["自由职业"]["completion_rate"]) == (1, 1.0)
    types = {r.label: (r.people, r.compliant) for r in stats.by_unit_type}
    assert types == {"国有事业单位": (5, 1), "国有企业": (2, 1), "自由职业": (1, 1)}


def test_grouped_by_the_title_of_the_year(county):
    stats = service.statistics(None, service.Filters(2025))
    series = {r.label: (r.people, r.registered, r.compliant) for r in stats.by_series}
    assert series == {
        "教师": (4, 2, 1),
        "卫生": (1, 0, 0),
        "工程": (1, 1, 1),
        "会计": (1, 1, 1),
        "未填写职称": (1, 0, 0),
    }
    assert [r.label for r in stats.by_series][-1] == "未填写职称"
    levels = [(r.label, r.people) for r in stats.by_level]  # in the order of the levels
    assert levels == [("副高", 1), ("中级", 4), ("初级", 2), ("未填写职称", 1)]
    authorities = {r.label: (r.people, r.general, r.professional) for r in stats.by_authority}
    assert authorities == {
        "县教育局": (4, 50, 102),
        "县卫健委": (1, 0, 0),
        "县住建局": (1, 30, 60),
        "县财政局": (1, 30, 60),
        "未填写职称": (1, 0, 0),
    }
    for table in (stats.by_series, stats.by_level, stats.by_authority):
        assert sum(r.people for r in table) == stats.overall.people
        assert sum(r.total for r in table) == stats.overall.total
    # 2026: p4's title obtained in March 2026 counts; nobody has declared yet.
    levels_2026 = {
        r.label: r.people for r in service.statistics(None, service.Filters(2026)).by_level
    }
    assert levels_2026 == {"副高": 1, "中级": 5, "初级": 1, "未填写职称": 1}


def test_content_and_form_count_the_counted_hours(county):
    stats = service.statistics(None, service.Filters(2025))
    kinds = {r.key: r.as_dict() for r in stats.by_kind}
    assert set(kinds) == {"training", "courseware", "aid.assignment"}  # conference: not counted
    # p1's courseware: 28, and 2 of the 5 accepted (the cap of 30); p2 20; q1 30; f1's 12 adds
    # nothing beside the full year.
    assert (kinds["courseware"]["claims"], kinds["courseware"]["general"]) == (4, 80)
    assert kinds["courseware"]["people"] == 3
    assert kinds["courseware"]["clause"] == "第十二条（十二）"
    assert (kinds["training"]["claims"], kinds["training"]["professional"]) == (3, 162)
    assert (kinds["aid.assignment"]["general"], kinds["aid.assignment"]["professional"]) == (30, 60)
    forms = {r.label: r.total for r in stats.by_form}
    assert forms == {"培训、研修类": 162, "网络课件类": 80, "重大工作类": 90}
    # The same figures as the registered totals.
    for table in (stats.by_kind, stats.by_form):
        assert sum(r.general for r in table) == stats.overall.general
        assert sum(r.professional for r in table) == stats.overall.professional


def test_a_capped_claim_counts_at_its_capped_value(
    ctx, make_unit, make_professional, make_submitted_declaration, make_user
):
    """Approved by the review service: the capped claim keeps the part that fits (2 of 5)."""
    from portal.review import service as review_service

    unit = make_unit()
    person = make_professional(unit=unit)
    declaration = make_submitted_declaration(
        person, year=2025, claims=(TRAINING_10, courseware(28), courseware(10))
    )
    officer = make_user(Role.UNIT_REVIEWER, unit=unit)
    first, second, third = declaration.claims
    review_service.decide_claim(officer, first, ClaimDecision.ACCEPTED)
    review_service.decide_claim(officer, second, ClaimDecision.ACCEPTED)
    review_service.decide_claim(officer, third, ClaimDecision.REDUCED, 5, "课件时长不足")
    year = review_service.approve(officer, declaration)
    db.session.commit()
    assert (year.general, year.professional) == (30, 60)
    parts = [(c.counted_general, c.counted_professional) for c in declaration.claims]
    assert parts == [(0, 60), (28, 0), (2, 0)]


def test_stored_parts_are_what_the_statistics_add_up(county):
    """q1's claims carry their parts: the statistics read them, not a new evaluation."""
    training, conference, cw = county["q1_claims"]
    assert [(c.counted_general, c.counted_professional) for c in (training, conference, cw)] == [
        (0, 60),
        (0, 0),
        (30, 0),
    ]
    cw.counted_general = 25  # as if approved so
    db.session.commit()
    kinds = {r.key: r.general for r in service.statistics(None, service.Filters(2025)).by_kind}
    assert kinds["courseware"] == 75


def test_unit_reviewer_sees_only_their_unit(county):
    asked_for_b = service.Filters(2025, unit_id=county["b"].id, unit_type=UnitType.STATE_ENTERPRISE)
    stats = service.statistics(county["ra"], asked_for_b)
    assert stats.filters.unit_id == county["a"].id
    assert stats.overall.people == 5
    assert [r.label for r in stats.by_unit] == ["第一中学"]


def test_unit_reviewer_filters_by_title_within_the_unit(county):
    edu = county["authorities"]["edu"]
    stats = service.statistics(county["ra"], service.Filters(2025, authority_id=edu.id))
    assert (stats.filters.unit_id, stats.filters.authority_id) == (county["a"].id, edu.id)
    assert stats.overall.people == 4  # p5 (卫生) is in the unit, not under 县教育局


def test_filters(county):
    teacher = county["series"]["教师"]
    stats = service.statistics(None, service.Filters(2025, series_id=teacher.id))
    assert (stats.overall.people, stats.overall.registered) == (4, 2)
    stats = service.statistics(None, service.Filters(2025, series_id=0))
    assert stats.overall.people == 1  # q2, no title
    stats = service.statistics(None, service.Filters(2025, title_level=TitleLevel.JUNIOR))
    assert stats.overall.people == 2
    stats = service.statistics(
        None, service.Filters(2026, series_id=teacher.id, title_level=TitleLevel.JUNIOR)
    )
    assert stats.overall.people == 1  # p4 is 中级 from 2026
    health = county["authorities"]["health"]
    stats = service.statistics(None, service.Filters(2025, authority_id=health.id))
    assert [r.label for r in stats.by_series] == ["卫生"]
    stats = service.statistics(None, service.Filters(2025, unit_type=UnitType.STATE_ENTERPRISE))
    assert stats.overall.people == 2
    stats = service.statistics(None, service.Filters(2025, unit_id=0))
    assert stats.overall.people == 1


def test_stats_cli(county, runner):
    result = runner.invoke(args=["stats", "--year", "2025"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {k: data[k] for k in ("people", "declared", "registered", "compliant")} == {
        "people": 8,
        "declared": 5,
        "registered": 4,
        "compliant": 3,
    }
    assert data["completion_rate"] == 0.375
    assert data["hours"] == {"general": 110, "professional": 222, "total": 332}
    assert {"by_unit", "by_kind", "by_form"} <= data.keys()
    series = {r["label"]: r["people"] for r in data["by_title_series"]}
    assert series["教师"] == 4 and series["未填写职称"] == 1
    teacher = county["series"]["教师"]
    result = runner.invoke(
        args=["stats", "--year", "2025", "--series", str(teacher.id), "--level", "初级"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["people"] == 2
    result = runner.invoke(args=["stats", "--year", "2025", "--level", "特级"])
    assert result.exit_code == 2 and "职称级别“特级”无效" in result.output
    assert runner.invoke(args=["stats", "--year", "1900"]).exit_code == 2
    assert runner.invoke(args=["stats", "--year", "abc"]).exit_code == 2


def test_page_for_the_unit_and_the_bureau(county, client, auth):
    auth.login(county["ra"])
    page = client.get(f"/stats/?year=2025&unit={county['b'].id}")
    assert page.status_code == 200
    assert "第一中学" in page.text and "城投公司" not in page.text
    assert 'id="stats-data"' in page.text and "echarts-6.1.0.min.js" in page.text
    auth.logout()
    auth.login(county["officer"])
    page = client.get("/stats/?year=2025")
    assert "城投公司" in page.text and "37.5%" in page.text
    assert 'id="table-by_series"' in page.text and "未填写职称" in page.text
    assert 'id="note-content"' in page.text and "扣除年度上限" in page.text
    teacher = county["series"]["教师"]
    page = client.get(f"/stats/?year=2025&series={teacher.id}&level=junior")
    assert page.status_code == 200 and '<dd id="fig-people">2</dd>' in page.text


def test_excel_export_read_back(county, client, auth):
    auth.login(county["ra"])
    response = client.get("/stats/export.xlsx?year=2025")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames[:3] == ["总体", "按单位", "按单位类型"]
    rows = list(book["按单位"].iter_rows(values_only=True))
    assert rows[0][:5] == ("单位", "在册人数", "已申报", "已登记", "达标人数")
    assert rows[1][:6] == ("第一中学", 5, 3, 2, 1, 0.2)
    assert rows[-1][0] == "合计" and len(rows) == 3  # the unit's own rows only
    kinds = list(book["按学习内容"].iter_rows(values_only=True))
    # The unit's people: p1 (28 + 2 counted) and p2 (20).
    assert ("网络课件学习", "第十二条（十二）", 3, 2, 50, 0, 50) in kinds
    series = list(book["按职称系列"].iter_rows(values_only=True))
    assert series[1][:4] == ("教师", 4, 3, 2) and series[-1][:2] == ("合计", 5)
    assert ("卫生", 1, 0, 0, 0, 0.0, 0, 0, 0) in series


def test_a_paper_year_counts_under_its_own_row(ctx, make_professional, make_user):
    """Entered from a paper certificate: no content or form, its hours under one row."""
    import io

    from werkzeug.datastructures import FileStorage

    from portal.declarations import paper

    person = make_professional(unit=None)
    officer = make_user(Role.BUREAU_OFFICER)
    paper.enter_paper_year(
        officer,
        person,
        2022,
        30,
        60,
        FileStorage(io.BytesIO(plain_pdf()), "2022.pdf"),
        registrar="示范县人力资源和社会保障局",
        registered_on=date(2023, 1, 10),
    )
    db.session.commit()
    stats = service.statistics(None, service.Filters(2022))
    assert (stats.overall.registered, stats.overall.total) == (1, 90)
    assert [(r.label, r.claims, r.general, r.professional) for r in stats.by_kind] == [
        (service.PAPER, 1, 30, 60)
    ]


def test_hours_that_cannot_be_split_keep_the_tables_whole(
    ctx, make_professional, make_registered_declaration, make_submitted_declaration
):
    """A registered year without claims, and one whose stored claim the rules refuse now."""
    make_registered_declaration(make_professional(unit=None), 2025, general=30, professional=60)
    odd = make_submitted_declaration(
        make_professional(unit=None),
        year=2025,
        status=DeclarationStatus.REGISTERED,
        general_hours=10,
        professional_hours=20,
        total_hours=30,
        compliant=False,
    )
    odd.claims[0].kind = "no.such.kind"
    db.session.commit()
    stats = service.statistics(None, service.Filters(2025))
    for table in (stats.by_kind, stats.by_form):
        rows = {r.label: (r.claims, r.people, r.general, r.professional) for r in table}
        assert rows == {"未能分项": (2, 2, 40, 80)}


def test_units_a_page_at_a_time_and_the_charts_column_by_column(
    ctx, client, auth, make_unit, make_user, make_professional
):
    """55 units of 1 to 55 people: the table shows 50 a page, largest first (the Excel file has
    them all); the units chart draws the 20 largest; the next page is swapped in by htmx."""
    for i in range(1, 56):
        unit = make_unit(name=f"单位{i:02d}")
        for _ in range(i if i > 50 else 1):
            make_professional(unit=unit, account=False)
    auth.login(make_user(Role.BUREAU_OFFICER))
    html = client.get("/stats/?year=2025&series=0").get_data(as_text=True)
    units = re.search(r'<table class="stats-table" id="table-by_unit">.*?</table>', html, re.S)
    rows = re.findall(r"<tr><td>([^<]*)</td>", units.group(0))
    assert rows[:5] == ["单位55", "单位54", "单位53", "单位52", "单位51"] and len(rows) == 50
    assert 'id="units-count"' in html and "共 55 行" in html
    assert 'hx-get="/stats/?page=2&amp;year=2025&amp;series=0"' in html
    charts = json.loads(re.search(r'id="stats-data">(.*?)</script>', html, re.S).group(1))
    assert charts["units"]["labels"][:2] == ["单位55", "单位54"]
    assert len(charts["units"]["labels"]) == 20 and charts["units"]["all"] == 55
    assert charts["units"]["rates"] == [0.0] * 20
    assert 'aria-label="在册人数最多的20个单位的达标率"' in html
    second = client.get("/stats/?year=2025&series=0&page=2", headers={"HX-Request": "true"})
    text = second.get_data(as_text=True)
    assert "<html" not in text and text.lstrip().startswith(
        '<section class="card" id="stats-units">'
    )
    assert re.findall(r"<tr><td>([^<]*)</td>", text)[0] == "单位46"
    assert len(re.findall(r"<tr><td>", text)) == 5 and "上一页" in text
    # the totals row is the whole county's on every page
    assert re.search(r"<tfoot><tr><th>合计</th>\s*<th class=\"num\">315</th>", text)
    book = load_workbook(BytesIO(client.get("/stats/export.xlsx?year=2025").data))
    assert book["按单位"].max_row == 1 + 55 + 1


def test_a_county_of_many_units_finds_its_unit_by_name(
    app, county, client, auth, make_unit, make_user, monkeypatch
):
    """Up to UNIT_LIST units the filter lists them all; beyond, a search field: the page offers
    the units whose name contains the text (at most UNITS_FOUND) and always the selected one,
    htmx fetches them as the officer types, and nobody else's units are ever offered."""
    from portal.stats import tables
    from tests.perf.test_query_counts import queries

    officer = county["officer"]
    auth.login(officer)
    listed = client.get("/stats/?year=2025").text
    assert 'id="unit_q"' not in listed and f'<option value="{county["b"].id}"' in listed
    for name in ("示范县林业站", "示范县林业局", "示范县水文站"):
        make_unit(name=name)
    db.session.commit()
    monkeypatch.setattr(tables, "UNIT_LIST", 3)
    monkeypatch.setattr(tables, "UNITS_FOUND", 1)
    page = client.get("/stats/?year=2025")
    assert page.status_code == 200 and 'id="unit_q"' in page.text
    select = page.text.split('<select id="unit"')[1].split("</select>")[0]
    assert "林业" not in select and "自由职业" in select  # nothing searched: nothing listed
    page = client.get(f"/stats/?year=2025&unit_q=林业&unit={county['b'].id}")
    select = page.text.split('<select id="unit"')[1].split("</select>")[0]
    assert "示范县林业局" in select and "示范县林业站" not in select  # the first 1, name order
    assert f'<option value="{county["b"].id}" selected>' in select  # the chosen one stays
    assert "水文站" not in select and "含“林业”的 2 个（列出前 1 个）" in page.text
    # As the officer types: the options alone, the chosen one among them; escaped.
    found = client.get("/stats/units?unit_q=水文", headers={"HX-Request": "true"})
    assert found.status_code == 200 and "示范县水文站" in found.text and "林业" not in found.text
    assert found.text.lstrip().startswith("<option") and "<html" not in found.text
    make_unit(name="<b>站</b>")
    db.session.commit()
    assert "&lt;b&gt;站&lt;/b&gt;" in client.get("/stats/units?unit_q=站").text
    # the same statements however many units there are (the search reads them in one)
    few = queries(app, client, "/stats/units?unit_q=站")
    for i in range(20):
        make_unit(name=f"示范县水文分站{i:02d}")
    db.session.commit()
    assert queries(app, client, "/stats/units?unit_q=站") == few
    too_long = client.get("/stats/units?unit_q=" + "林" * 500)
    assert too_long.status_code == 200
    auth.logout()
    auth.login(county["ra"])  # a unit's reviewer has no unit filter
    assert client.get("/stats/units?unit_q=林业").status_code == 404
