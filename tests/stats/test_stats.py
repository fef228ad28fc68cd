"""Statistics against a hand-counted county: 8 people on record in unit A (5), unit B (2) and
one freelancer; 5 declared, 4 registered, 3 compliant."""

import json
from io import BytesIO

import pytest
from openpyxl import load_workbook

from portal.accounts.models import PersonStatus, Role
from portal.declarations.models import ClaimDecision, DeclarationStatus
from portal.extensions import db
from portal.stats import service
from portal.units.models import Authority, UnitType


@pytest.fixture
def county(
    ctx,
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
    make_submitted_declaration,
):
    authority = Authority(name="县教育局")
    db.session.add(authority)
    db.session.commit()
    a = make_unit(name="第一中学", type=UnitType.INSTITUTION, authority_id=authority.id)
    b = make_unit(name="城投公司", type=UnitType.STATE_ENTERPRISE)
    p1 = make_professional(unit=a, title_series="教师", title_level="中级")
    # p1: registered with claims: training (professional) and courseware 30 h (general), one
    # more courseware claim reduced by the reviewer to 5 h.
    d1 = make_submitted_declaration(
        p1,
        year=2025,
        claims=(
            {"kind": "training", "facts": {"days": 5}, "subject": "professional"},
            {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"},
            {"kind": "courseware", "facts": {"hours": 10}, "subject": "general"},
        ),
        status=DeclarationStatus.REGISTERED,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )
    d1.claims[2].decision, d1.claims[2].accepted_hours = ClaimDecision.REDUCED, 5
    db.session.commit()
    p2 = make_professional(unit=a, title_series="教师", title_level="初级")
    make_registered_declaration(p2, 2025, general=20, professional=40)  # not compliant
    p3 = make_professional(unit=a, title_series="教师", title_level="中级")
    make_submitted_declaration(p3, year=2025)  # declared, waiting
    make_professional(unit=a, title_series="教师", title_level="中级")  # nothing
    p5 = make_professional(unit=a, title_series="卫生", title_level="副高")
    make_submitted_declaration(p5, year=2025, status=DeclarationStatus.DRAFT)  # not declared
    pending = make_professional(unit=a, status=PersonStatus.PENDING)  # not on record
    make_registered_declaration(pending, 2025)
    q1 = make_professional(unit=b, title_series="工程", title_level="中级")
    make_registered_declaration(q1, 2025, general=40, professional=60)
    make_registered_declaration(q1, 2024, general=90, professional=90)  # another year
    make_professional(unit=b, title_series="工程", title_level="初级")
    f1 = make_professional(unit=None, title_series="会计", title_level="中级")
    make_registered_declaration(f1, 2025, general=30, professional=60)
    return {
        "a": a,
        "b": b,
        "training_hours": d1.claims[0].hours,
        "ra": make_user(Role.UNIT_REVIEWER, unit=a),
        "officer": make_user(Role.BUREAU_OFFICER),
    }


def test_county_totals(county):
    stats = service.statistics(None, service.Filters(2025))
    o = stats.overall
    assert (o.people, o.declared, o.registered, o.compliant) == (8, 5, 4, 3)
    assert o.completion_rate == 0.375
    assert (o.general, o.professional) == (120, 220)
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
        "professional": 100,
        "total": 150,
    }
    assert (by_unit["城投公司"]["people"], by_unit["城投公司"]["compliant"]) == (2, 1)
    assert (by_unit["自由职业"]["people"], by_unit["自由职业"]["completion_rate"]) == (1, 1.0)
    types = {r.label: (r.people, r.compliant) for r in stats.by_unit_type}
    assert types == {"国有事业单位": (5, 1), "国有企业": (2, 1), "自由职业": (1, 1)}
    series = {r.label: (r.people, r.registered) for r in stats.by_series}
    assert series == {"教师": (4, 2), "卫生": (1, 0), "工程": (2, 1), "会计": (1, 1)}
    levels = {r.label: r.people for r in stats.by_level}
    assert levels == {"中级": 5, "初级": 2, "副高": 1}
    authorities = {r.label: r.people for r in stats.by_authority}
    assert authorities == {"县教育局": 5, "（未填写）": 3}


def test_content_and_form(county):
    stats = service.statistics(None, service.Filters(2025))
    kinds = {r.key: r.as_dict() for r in stats.by_kind}
    assert set(kinds) == {"training", "courseware"}
    assert kinds["courseware"]["claims"] == 2 and kinds["courseware"]["general"] == 35  # 30 + 5
    assert kinds["courseware"]["clause"] == "第十二条（十二）"
    assert kinds["training"]["professional"] == county["training_hours"]
    forms = {r.label: r.total for r in stats.by_form}
    assert forms == {"网络课件类": 35, "培训、研修类": county["training_hours"]}


def test_unit_reviewer_sees_only_their_unit(county):
    asked_for_b = service.Filters(2025, unit_id=county["b"].id, unit_type=UnitType.STATE_ENTERPRISE)
    stats = service.statistics(county["ra"], asked_for_b)
    assert stats.filters.unit_id == county["a"].id
    assert stats.overall.people == 5
    assert [r.label for r in stats.by_unit] == ["第一中学"]


def test_filters(county):
    stats = service.statistics(None, service.Filters(2025, title_series="教师"))
    assert (stats.overall.people, stats.overall.registered) == (4, 2)
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
    assert data["hours"] == {"general": 120, "professional": 220, "total": 340}
    assert {"by_unit", "by_kind", "by_form"} <= data.keys()
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
    assert ("网络课件学习", "第十二条（十二）", 2, 1, 35, 0, 35) in kinds
