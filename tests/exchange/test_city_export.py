"""The city's export for the province: the exchange file (format 2) of a city holds its counties'
registered years, each carrying its county's code and registered by its own county's bureau;
not another city's; a county's file holds that county's alone. CLI and the city officer's page."""

import json

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.exchange import imports, service
from portal.extensions import db
from portal.jobs.models import Job, JobState
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from tests.conftest import logged_in

A, B, CITY, PROVINCE = "341822", "341821", "341800", "340000"
OTHER_CITY, OTHER_COUNTY = "340100", "340102"
LANGXI = "郎溪县人力资源和社会保障局"


@pytest.fixture
def city(ctx, make_unit, make_user, make_professional, make_registered_declaration):
    """One registered 2025 year in each of A, B (two) and another city's county."""
    jurisdictions.add(B, "郎溪县", JurisdictionLevel.COUNTY, CITY, LANGXI)
    jurisdictions.add(OTHER_CITY, "合肥市", JurisdictionLevel.CITY, PROVINCE)
    jurisdictions.add(OTHER_COUNTY, "瑶海区", JurisdictionLevel.COUNTY, OTHER_CITY)
    db.session.commit()
    names = {}
    for code, count in ((A, 1), (B, 2), (OTHER_COUNTY, 1)):
        unit = make_unit(jurisdiction_code=code)
        for _ in range(count):
            person = make_professional(unit=unit, account=False, jurisdiction_code=code)
            make_registered_declaration(person, 2025, jurisdiction_code=code)
            names[person.id_number] = code
    return {
        "names": names,
        "city": make_user(Role.CITY_OFFICER, jurisdiction_code=CITY),
        "bureau": make_user(Role.BUREAU_OFFICER, jurisdiction_code=B),
    }


def _export(runner, tmp_path, *options):
    out = tmp_path / "out.json"
    result = runner.invoke(
        args=["export", "year", "2025", "--format", "json", "--out", str(out), *options]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output), imports.read_document(out.read_bytes())  # the schema's


def test_the_citys_file_holds_its_counties_years_each_with_its_county(city, runner, tmp_path):
    summary, document = _export(runner, tmp_path, "--jurisdiction", CITY)
    assert summary["jurisdiction"] == CITY and summary["records"] == 3
    assert document["county"] == {"name": "宣城市人力资源和社会保障局", "code": CITY}
    assert document["count"] == 3
    for record in document["records"]:
        assert record["county_code"] == city["names"][record["id_number"]]
        assert record["county_code"] in (A, B)
        if record["county_code"] == B:
            assert record["county"] == record["registered_by"] == LANGXI
        else:
            assert record["county"] == service.county()["name"]


def test_a_countys_file_holds_that_county_alone(city, runner, tmp_path):
    summary, document = _export(runner, tmp_path)  # the install's county
    assert summary["jurisdiction"] == A and summary["records"] == 1
    assert [r["county_code"] for r in document["records"]] == [A]
    assert document["county"] == service.county()
    _, document = _export(runner, tmp_path, "--jurisdiction", B)
    assert [r["county_code"] for r in document["records"]] == [B, B]
    assert document["county"] == {"name": LANGXI, "code": B}


def test_the_export_refuses_an_unknown_jurisdiction(city, runner, tmp_path):
    result = runner.invoke(
        args=["export", "year", "2025", "--out", str(tmp_path / "x"), "--jurisdiction", "999999"]
    )
    assert result.exit_code == 2 and "行政区划代码“999999”不存在" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("who, codes", [("city", {A, B}), ("bureau", {B})])
def test_the_page_exports_the_officers_jurisdiction(app, city, who, codes):
    client = logged_in(app, city[who])
    page = client.get("/exchange/").text
    assert ("导入人员名单" in page) == (who == "bureau")
    assert ("每条记录带所属县（市、区）的行政区划代码" in page) == (who == "city")
    response = client.post("/exchange/export", data={"year": 2025, "fmt": "json"})
    assert response.status_code == 303
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    assert job.state is JobState.DONE, job.message
    document = json.loads(client.get(f"/jobs/{job.id}/result").data)
    assert {r["county_code"] for r in document["records"]} == codes
    assert document["count"] == sum(1 for c in city["names"].values() if c in codes)


def test_a_city_officer_imports_no_roster(app, city):
    client = logged_in(app, city["city"])
    response = client.post("/exchange/import", data={})
    assert response.status_code == 403


def test_a_single_county_install_names_no_county_on_the_page(app, ctx, make_user):
    page = logged_in(app, make_user(Role.CITY_OFFICER, jurisdiction_code=CITY)).get("/exchange/")
    assert page.status_code == 200 and "县（市、区）" not in page.text
