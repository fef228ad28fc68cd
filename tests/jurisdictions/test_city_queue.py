"""The city officer's work in one place (issue 24.5): one queue of its counties' senior
verifications sent for confirmation and senior holders' yearly second steps, each row with its
county, a county filter, as many statements for 3 rows in 1 county as for 60 in 6; each step
on a record reads its county's settings."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts.models import Role
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from portal.settings import set_setting
from portal.units.models import Authority, FirstReview, TitleLevel, TitleSeries
from portal.verification.models import Verification, VerificationKind, VerificationStatus
from tests.perf.test_query_counts import TRAINING, queries

A, CITY = "341822", "341800"
OTHERS = ["341802", "341821", "341823", "341824", "341825"]  # 宣州区 郎溪县 泾县 绩溪县 旌德县
NAMES = {"341802": "宣州区", "341821": "郎溪县", "341823": "泾县", "341824": "绩溪县",
         "341825": "旌德县"}  # fmt: skip
T0 = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
_numbers = iter(range(1, 10**6))


@pytest.fixture
def city(ctx, make_user):
    for code in OTHERS:
        jurisdictions.add(code, NAMES[code], JurisdictionLevel.COUNTY, CITY)
    jurisdictions.add("340100", "合肥市", JurisdictionLevel.CITY, "340000")
    jurisdictions.add("340102", "瑶海区", JurisdictionLevel.COUNTY, "340100")
    db.session.commit()
    return make_user(Role.CITY_OFFICER, username="city-341800", jurisdiction_code=CITY)


@pytest.fixture
def waiting(make_unit, make_professional, make_submitted_declaration, make_user):
    """waiting(county, n): n people of the county, each with a senior verification sent to the
    city and a 2025 declaration whose first step passed, waiting for the city's second step."""
    series = TitleSeries(name="中小学教师", authority=Authority(name="市教体局"))
    db.session.add(series)

    def make(county, n, claims=None):
        unit = make_unit(name=f"{county}单位{next(_numbers)}", jurisdiction_code=county)
        officer = make_user(Role.BUREAU_OFFICER, jurisdiction_code=county)
        made = []
        for _ in range(n):
            k = next(_numbers)
            person = make_professional(unit=unit, account=False, jurisdiction_code=county)
            declaration = make_submitted_declaration(
                person,
                claims=claims or [TRAINING],
                status=DeclarationStatus.PROFESSIONAL_CHECKED,
                first_step=FirstReview.UNIT,
                second_step_city=True,
                first_reviewed_at=T0 + timedelta(hours=k),
                jurisdiction_code=county,
            )
            verification = Verification(
                number=f"YZ{county}-2025-{k:06d}", code=f"C{k:027d}",
                kind=VerificationKind.CYCLE, professional=person, series=series,
                level=TitleLevel.DEPUTY_SENIOR, application_year=2026, first_year=2021,
                last_year=2025, content={"name": person.name}, ok=True, issued_by=officer,
                status=VerificationStatus.SENT, sent_at=T0 + timedelta(hours=k, minutes=30),
                jurisdiction_code=county,
            )  # fmt: skip
            db.session.add(verification)
            made.append((declaration, verification))
        db.session.commit()
        return made

    return make


def test_one_queue_of_all_the_citys_counties(client, auth, city, waiting):
    (d_a, v_a), = waiting(A, 1)  # fmt: skip
    (d_b, v_b), = waiting("341802", 1)  # fmt: skip
    (d_far, v_far), = waiting("340102", 1)  # another city's county  # fmt: skip
    auth.login(city)
    assert client.get("/").headers["Location"].endswith("/city/")
    page = client.get("/city/")
    assert page.status_code == 200
    text = page.text
    for record in (v_a, v_b):
        assert record.number in text
    assert v_far.number not in text and d_far.professional.name not in text
    # both kinds, oldest first, each row with its county
    rows = text.split('<table class="city-rows">')[1].split("</table>")[0].split("<tr>")[2:]
    assert [("学时验证单复核" in r, "年度学时核验" in r) for r in rows] == [
        (False, True), (True, False), (False, True), (True, False)
    ]  # fmt: skip
    home = jurisdictions.get(A).name
    assert [home in rows[0], "宣州区" in rows[2], home in rows[2]] == [True, True, False]
    assert f"/review/{d_b.id}" in rows[2] and f"/verification/{v_b.id}" in rows[3]
    assert "共 4 件：学时验证单复核 2 件，年度学时核验 2 件" in text
    assert "各县（市、区）待复核" in text  # the breakdown by county


def test_the_county_filter(client, auth, city, waiting):
    waiting(A, 2)
    (d_b, v_b), = waiting("341802", 1)  # fmt: skip
    auth.login(city)
    text = client.get("/city/?county=341802").text
    assert "共 2 件" in text and v_b.number in text and f"/review/{d_b.id}" in text
    assert f"{jurisdictions.get(A).name}</td>" not in text
    only = client.get("/city/?county=341802&kind=verification").text
    assert v_b.number in only and f"/review/{d_b.id}" not in only
    # a county outside the city is refused next to the field, and the list is the city's
    far = client.get("/city/?county=340102")
    assert far.status_code == 200 and "请从列表中选择" in far.text and "共 6 件" in far.text


def test_the_queue_is_the_city_officers(client, auth, make_user, city):
    auth.login(make_user(Role.BUREAU_OFFICER))
    assert client.get("/city/").status_code == 403


def test_a_single_county_install_shows_no_county(client, auth, make_user, waiting):
    waiting(A, 1)
    auth.login(make_user(Role.CITY_OFFICER, jurisdiction_code=CITY))
    text = client.get("/city/").text
    assert "共 2 件" in text and "县（市、区）" not in text and 'name="county"' not in text


def test_queries_do_not_grow_with_counties_or_rows(app, client, auth, city, waiting):
    waiting(A, 3)
    auth.login(city)
    client.get("/city/")  # the jurisdiction tree, read once a minute per process
    pages = ["/city/", "/review/", "/verification/"]  # its queue, and the two it had before
    few = [queries(app, client, page) for page in pages]
    for code in OTHERS:
        waiting(code, 12)  # 6 counties, 63 people, 126 rows: past one page
    assert [queries(app, client, page) for page in pages] == few
    assert queries(app, client, "/city/?page=2") == few[0]
    assert queries(app, client, "/city/?county=341821") == few[0]
    assert few[0] <= 2  # the account, then the page's rows with the counts


def test_the_pages_hold_every_row_once_with_its_record(ctx, city, waiting):
    from portal.city import service

    made = [pair for code in (A, *OTHERS[:2]) for pair in waiting(code, 22)]  # 132 rows
    pages = [service.queue(city, page=n) for n in (1, 2, 3)]
    rows = [row for page in pages for row in page.rows]
    assert [len(page.rows) for page in pages] == [50, 50, 32]
    assert [page.has_next for page in pages] == [True, True, False]
    assert rows == sorted(rows, key=lambda row: (row.since, row.kind, row.record.id))
    expected = {(service.YEARLY, d.id): d for d, _ in made}
    expected |= {(service.VERIFICATION, v.id): v for _, v in made}
    assert {(row.kind, row.record.id) for row in rows} == set(expected)
    for row in rows:
        record = expected[(row.kind, row.record.id)]
        person = record.professional
        assert (row.record.name, row.record.unit_name) == (person.name, person.unit.name)
        assert row.county == jurisdictions.get(record.jurisdiction_code).name
        if row.kind == service.VERIFICATION:
            assert (row.record.number, row.record.title_text) == (record.number, record.title_text)
        else:
            assert (row.record.year, row.record.status) == (record.year, record.status)
    assert pages[2].total == 132 and pages[2].count(service.YEARLY, A) == 22


def test_each_step_reads_its_countys_settings(client, auth, city, waiting):
    """郎溪县 refuses unfiled trainings; the install's county keeps them to flag-only. The city
    officer opening each county's declaration is told each county's rule."""
    set_setting("UNFILED_TRAINING_REFUSED", False, A)
    set_setting("UNFILED_TRAINING_REFUSED", True, "341821")
    db.session.commit()
    (d_a, _), = waiting(A, 1)  # fmt: skip
    (d_b, _), = waiting("341821", 1)  # fmt: skip
    auth.login(city)
    assert "本局设置为仅提示，请核实。" in client.get(f"/review/{d_a.id}").text
    page = client.get(f"/review/{d_b.id}").text
    assert "本局设置为不予认定" in page and "本局设置为仅提示" not in page
