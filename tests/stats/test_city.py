"""A city's statistics: its people, declared, registered and compliant are the sums of its
counties'; its breakdown by county shows, for each county, the figures of that county's own page;
nobody reads a county or city outside their own; `flask stats --jurisdiction` prints the same."""

import json
import re

import pytest

from portal.accounts.models import Role
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from portal.stats import snapshots
from tests.conftest import logged_in
from tests.perf.test_query_counts import FEW, MANY, queries
from tests.stats.test_stats_pinned import _cells

A, B, CITY, PROVINCE = "341822", "341821", "341800", "340000"
OTHER_CITY, OTHER_COUNTY = "340100", "340102"
YEAR = 2025
FIGURES = ["在册人数", "已申报", "已登记", "达标人数", "达标率", "公需科目学时", "专业科目学时"]


@pytest.fixture
def city(ctx, make_unit, make_user, make_professional, make_registered_declaration):
    """County A: 3 people, 2 registered (1 compliant); county B: 2 people, 1 registered and
    compliant, and a freelancer; another city's county: 1 person, registered."""
    jurisdictions.add(B, "郎溪县", JurisdictionLevel.COUNTY, CITY, "郎溪县人力资源和社会保障局")
    jurisdictions.add(OTHER_CITY, "合肥市", JurisdictionLevel.CITY, PROVINCE)
    jurisdictions.add(OTHER_COUNTY, "瑶海区", JurisdictionLevel.COUNTY, OTHER_CITY)
    db.session.commit()

    def person(code, unit=None, registered=None):
        someone = make_professional(unit=unit, account=False, jurisdiction_code=code)
        if registered is not None:
            make_registered_declaration(
                someone,
                YEAR,
                general=30,
                professional=60 if registered else 20,
                jurisdiction_code=code,
            )

    a = make_unit(name="示范县一中", jurisdiction_code=A)
    person(A, a, True)
    person(A, a, False)
    person(A, a)
    b = make_unit(name="郎溪县医院", jurisdiction_code=B, county="郎溪县")
    person(B, b, True)
    person(B)
    person(OTHER_COUNTY, make_unit(name="瑶海区单位", jurisdiction_code=OTHER_COUNTY), True)
    return {
        "city": make_user(Role.CITY_OFFICER, jurisdiction_code=CITY),
        A: make_user(Role.BUREAU_OFFICER, jurisdiction_code=A),
        B: make_user(Role.BUREAU_OFFICER, jurisdiction_code=B),
        "other": make_user(Role.CITY_OFFICER, jurisdiction_code=OTHER_CITY),
    }


def _overall(html: str) -> list[str]:
    """The page's figures, in FIGURES' order."""
    summary = html.split('class="card stats-summary"')[1].split("</dl>")[0]
    found = dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", summary))
    return [found[name] for name in FIGURES]


def _page(app, user, query=""):
    response = logged_in(app, user).get(f"/stats/?year={YEAR}{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_city_page_adds_up_its_counties_and_each_row_is_the_countys_own_page(app, city):
    page = _page(app, city["city"])
    header, *rows, totals = _cells(page, "table-by_county")
    assert header[0] == "县（市、区）" and header[1:] == [
        "在册人数", "已申报", "已登记", "达标人数", "达标率", "公需科目学时", "专业科目学时", "总学时"
    ]  # fmt: skip
    assert [r[0] for r in rows] == ["郎溪县", jurisdictions.get(A).name]
    for row in rows:
        code = B if row[0] == "郎溪县" else A
        own = _page(app, city[code])  # the county officer's own page
        assert row[1:8] == _overall(own), code
        assert _overall(_page(app, city["city"], f"&jurisdiction={code}")) == _overall(own)
    # The sums: people 3 + 2, declared 2 + 1, registered 2 + 1, compliant 1 + 1.
    assert [int(x) for x in totals[1:5]] == [5, 3, 3, 2]
    for column in (1, 2, 3, 4, 6, 7, 8):
        assert int(totals[column]) == sum(int(r[column]) for r in rows)
    assert totals[1:8] == _overall(page)
    assert page.count("<h1>宣城市") == 1 and "计算于 " in page


def test_the_city_tables_add_up_the_counties_tables(app, city):
    """By unit: each county's units; by unit type: the same type summed across counties."""
    page = _page(app, city["city"])
    units = {r[0]: r[1] for r in _cells(page, "table-by_unit")[1:-1]}
    assert units == {"示范县一中": "3", "郎溪县医院": "1", "自由职业": "1"}
    types = {r[0]: r[1] for r in _cells(page, "table-by_unit_type")[1:-1]}
    assert types["国有事业单位"] == "4"


@pytest.mark.parametrize(
    "who, code, status",
    [
        (A, B, 404),  # a county officer: not the neighbour county
        (A, CITY, 404),  # nor the city
        ("city", OTHER_COUNTY, 404),  # a city officer: not another city's county
        ("other", A, 404),
        ("city", "999999", 404),
        ("city", B, 200),
        ("city", A, 200),
    ],
)
def test_nobody_reads_figures_outside_their_jurisdiction(app, city, who, code, status):
    client = logged_in(app, city[who])
    assert client.get(f"/stats/?year={YEAR}&jurisdiction={code}").status_code == status
    assert client.get(f"/stats/export.xlsx?year={YEAR}&jurisdiction={code}").status_code == status
    response = client.post("/stats/recompute", data={"year": YEAR, "jurisdiction": code})
    assert response.status_code == (303 if status == 200 else status)


def test_a_county_officer_sees_their_own_county(app, city):
    page = _page(app, city[B])
    assert _overall(page)[:4] == ["2", "1", "1", "1"]
    assert 'id="table-by_county"' not in page and "<h1>郎溪县2025" in page
    # A filtered page is computed now, over the county alone.
    filtered = _page(app, city[B], "&unit=0")  # the freelancers
    assert "按筛选条件实时计算" in filtered and _overall(filtered)[0] == "1"


def test_the_cli_prints_a_citys_figures_and_its_counties(city, runner):
    def stats(code):
        result = runner.invoke(args=["stats", "--year", str(YEAR), "--jurisdiction", code])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    printed = stats(CITY)
    assert printed["jurisdiction"] == {"code": CITY, "name": "宣城市", "level": "city"}
    counties = {r["key"]: r for r in printed["by_county"]}
    assert set(counties) == {A, B}
    for key in ("people", "declared", "registered", "compliant"):
        assert printed[key] == counties[A][key] + counties[B][key]
        for code in (A, B):
            assert counties[code][key] == stats(code)[key]
    assert (printed["people"], printed["registered"]) == (5, 3)
    assert stats(PROVINCE)["people"] == 6 and "by_county" not in stats(A)


def test_the_city_page_queries_do_not_grow(app, city, make_unit, make_professional):
    """The city's page and a county's (from the city) read their snapshots: the same statements
    for a few units as for many."""

    def add(n):
        for code in (A, B):
            for _ in range(n):
                unit = make_unit(jurisdiction_code=code)
                make_professional(unit=unit, account=False, jurisdiction_code=code)
        snapshots.refresh([A, B], [YEAR])
        db.session.commit()

    client = logged_in(app, city["city"])
    urls = [f"/stats/?year={YEAR}", f"/stats/?year={YEAR}&jurisdiction={B}"]
    add(FEW)
    few = [queries(app, client, url) for url in urls]
    add(MANY - FEW)
    assert [queries(app, client, url) for url in urls] == few


def test_flask_jurisdictions_lists_the_tree_with_its_people(city, runner, make_professional):
    from portal.accounts.models import PersonStatus

    make_professional(account=False, status=PersonStatus.PENDING, jurisdiction_code=B)  # not yet
    result = runner.invoke(args=["jurisdictions"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(j["code"], j["level"], j["parent"], j["people"]) for j in listed] == [
        (PROVINCE, "province", None, 6),
        (OTHER_CITY, "city", PROVINCE, 1),
        (CITY, "city", PROVINCE, 5),
        (OTHER_COUNTY, "county", OTHER_CITY, 1),
        (B, "county", CITY, 2),
        (A, "county", CITY, 3),
    ]
    assert {j["code"]: j["name"] for j in listed}[B] == "郎溪县"
    assert all(set(j) == {"code", "name", "level", "parent", "people"} for j in listed)


def test_flask_jurisdictions_on_a_single_county_install(ctx, runner, make_professional):
    make_professional(account=False)
    listed = json.loads(runner.invoke(args=["jurisdictions"]).output)
    assert [(j["level"], j["people"]) for j in listed] == [
        ("province", 1),
        ("city", 1),
        ("county", 1),
    ]


def test_the_citys_workbook_has_the_county_sheet(app, city):
    from io import BytesIO

    from openpyxl import load_workbook

    response = logged_in(app, city["city"]).get(f"/stats/export.xlsx?year={YEAR}")
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames[:2] == ["总体", "按县（市、区）"]
    rows = list(book["按县（市、区）"].iter_rows(values_only=True))
    assert [r[0] for r in rows] == ["县（市、区）", "郎溪县", jurisdictions.get(A).name, "合计"]
    assert [r[1] for r in rows[1:]] == [2, 3, 5]
    assert book["总体"]["A1"].value == "宣城市2025年度继续教育统计"
    assert book["总体"]["A2"].value.startswith("计算于 ")
    county = load_workbook(
        BytesIO(logged_in(app, city[B]).get(f"/stats/export.xlsx?year={YEAR}").data)
    )
    assert "按县（市、区）" not in county.sheetnames


def test_the_province_viewer_reads_every_county_and_changes_nothing(app, city, make_user):
    """The read-only provincial role: the province's figures (every county of every city), any
    city or county of it; no 重新计算, no page of a county's work."""
    viewer = make_user(Role.PROVINCE_VIEWER, jurisdiction_code=PROVINCE)
    page = _page(app, viewer)
    assert _overall(page)[:4] == ["6", "4", "4", "3"]  # A 3, B 2, the other city's county 1
    assert "重新计算" not in page
    client = logged_in(app, viewer)
    for code in (A, B, CITY, OTHER_CITY, OTHER_COUNTY):
        assert client.get(f"/stats/?year={YEAR}&jurisdiction={code}").status_code == 200
    assert _overall(_page(app, viewer, f"&jurisdiction={OTHER_COUNTY}"))[0] == "1"
    response = client.post("/stats/recompute", data={"year": YEAR, "jurisdiction": CITY})
    assert response.status_code == 403
    for url in ("/people/", "/review/", "/city/", "/verification/", "/board/batches", "/exchange/"):
        assert client.get(url).status_code == 403, url
    assert client.get("/").headers["Location"].endswith("/stats/")
