"""Public pages per county (issue 24.4): a county's board, objections, checks and registration
page at /c/<code>/… (or on its own host name), the install's county at the plain addresses, the
city's page of boards at /boards; the page cache never gives one county's page for another's;
a single-county install keeps its addresses."""

from datetime import timedelta

import pytest

from portal.accounts.models import Professional
from portal.board.models import Objection, PublicityBatch
from portal.certificates import service as certificates
from portal.clock import local_today
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import Jurisdiction
from portal.units.models import Unit
from tests.jurisdictions.conftest import CITY, A, B


@pytest.fixture
def boards(app, two_counties, make_unit, make_professional, make_submitted_declaration,
           make_registered_declaration):  # fmt: skip
    """A running batch in each county, with one person publicised and one objection."""
    today = local_today()
    found = {}
    for code, mark in ((A, "甲县"), (B, "乙县")):
        unit = make_unit(name=f"{mark}中学", jurisdiction_code=code)
        batch = PublicityBatch(
            title=f"{mark}公示", start_date=today, end_date=today + timedelta(days=7),
            jurisdiction_code=code,
        )  # fmt: skip
        db.session.add(batch)
        db.session.flush()
        person = make_professional(unit=unit, name=f"{mark}人")
        declaration = make_submitted_declaration(
            person, status=DeclarationStatus.PUBLICISED, batch_id=batch.id
        )
        objection = Objection(
            declaration_id=declaration.id, name="张三", contact="13800000000", content="测试",
            reference=f"YY-{'AAAA' if code == A else 'BBBB'}-TEST-TEST",
        )  # fmt: skip
        db.session.add(objection)
        registered = make_professional(unit=unit, name=f"{mark}登记人")
        make_registered_declaration(registered, 2024)
        db.session.commit()
        printed = certificates.print_certificate(registered.user, registered)
        db.session.commit()
        found[code] = {
            "declaration": declaration.id,
            "reference": objection.reference,
            "token": printed.token,
            "code": printed.code,
        }
    db.session.expunge_all()
    return found


def test_each_county_has_its_own_board(app, boards):
    client = app.test_client()  # no cookie: the page cache answers the second time
    for _ in range(2):
        own = client.get("/board").text
        other = client.get(f"/c/{B}/board").text
        assert "甲县公示" in own and "乙县公示" not in own
        assert "乙县公示" in other and "甲县公示" not in other
        assert "郎溪县 专业技术人员继续教育学时登记公示" in other
        assert (
            "郎溪县人力资源和社会保障局 · 依据" in other
        )  # the county's bureau, not the install's
        assert "示范县人力资源和社会保障局 · 依据" in own
    # every link of B's board stays on B's pages
    assert f'href="/c/{B}/board/objection/{boards[B]["declaration"]}"' in other
    assert f"/c/{B}/board/objection-status" in other


def _found_on_its_countys_pages_only(client, boards, path: str, key: str) -> None:
    for county, prefix in ((A, ""), (B, f"/c/{B}")):
        for owner in (A, B):
            status = client.get(f"{prefix}{path}{boards[owner][key]}").status_code
            assert status == (200 if owner == county else 404), (prefix, path, owner)


def test_a_countys_objections_are_its_own(app, boards):
    client = app.test_client()
    _found_on_its_countys_pages_only(client, boards, "/board/objection/", "declaration")
    _found_on_its_countys_pages_only(client, boards, "/board/objection-status/", "reference")


def test_a_certificate_is_checked_on_its_countys_pages(app, boards):
    _found_on_its_countys_pages_only(app.test_client(), boards, "/verify/", "token")
    with app.test_request_context("/"):
        assert certificates.verification_url("T", B) == f"http://localhost/c/{B}/verify/T"
        assert certificates.verification_url("T", A) == "http://localhost/verify/T"
        with scope.use(B):  # the county acted for: the person printing, the bulk print's
            assert certificates.verification_url("T") == f"http://localhost/c/{B}/verify/T"
        app.config["PUBLIC_BASE_URL"] = "https://jxjy.example.cn"
        assert certificates.verification_url("T", B) == f"https://jxjy.example.cn/c/{B}/verify/T"


def test_an_unknown_or_non_county_prefix_is_not_found(app, boards):
    client = app.test_client()
    for code in ("999999", CITY, "340000"):
        assert client.get(f"/c/{code}/board").status_code == 404


def test_a_county_answers_on_its_own_host_name(app, boards):
    db.session.get(Jurisdiction, B).host = "langxi.example.cn"
    db.session.commit()
    jurisdictions.forget()
    client = app.test_client()
    on_host = client.get("/board", headers={"Host": "langxi.example.cn"}).text
    assert "乙县公示" in on_host and "甲县公示" not in on_host
    assert "甲县公示" in client.get("/board").text  # the same address elsewhere: the install's
    with app.test_request_context("/"):
        url = certificates.verification_url("T", B)
    assert url == "https://langxi.example.cn/verify/T"


def test_the_city_lists_its_counties_boards(app, boards):
    page = app.test_client().get("/boards").text
    assert f'href="http://localhost/c/{B}/board"' in page and "郎溪县" in page
    assert 'href="http://localhost/board"' in page


def test_a_freelancer_registers_in_the_countys_pages(app, boards):
    client = app.test_client()
    page = client.get(f"/c/{B}/register").text
    assert "乙县中学" in page and "甲县中学" not in page
    from datetime import date

    from portal.accounts.idnumbers import make_id_number

    number = make_id_number(date(1991, 2, 3), 77)
    response = client.post(
        f"/c/{B}/register",
        data={"id_number": number, "name": "自由人", "phone": "13912345678", "unit": "0",
              "title_series": "教师", "title_level": "中级", "title_name": "一级教师",
              "works_since": "2015-09-01", "password": "Passw0rd!x", "confirm": "Passw0rd!x"},
    )  # fmt: skip
    assert response.status_code in (302, 303), response.text[:3000]
    person = Professional.query.filter_by(id_number=number).one()
    assert person.unit_id is None and person.jurisdiction_code == B


def test_a_single_county_keeps_its_addresses(app, make_unit):
    client = app.test_client()
    response = client.get("/boards")
    assert response.status_code == 303 and response.headers["Location"].endswith("/board")
    page = client.get("/board").text
    assert "/c/" not in page
    assert Unit.query.count() == 0


def test_the_public_pages_of_a_city_do_not_query_more_with_more_counties(app, boards):
    """A county's board: the same statements for 2 counties or 5; the city's list of boards
    reads the jurisdiction tree each process keeps (one statement when it was just reloaded)."""
    from portal.jurisdictions.models import JurisdictionLevel
    from tests.perf.test_query_counts import queries

    client = app.test_client()
    assert queries(app, client, "/boards") == 0
    queries(app, client, f"/c/{B}/board")  # once: the settings, which a process then keeps
    few = queries(app, client, f"/c/{B}/board")
    assert few  # computed, not answered from the page cache
    for code, name in (("341823", "泾县"), ("341824", "绩溪县"), ("341825", "旌德县")):
        jurisdictions.add(code, name, JurisdictionLevel.COUNTY, CITY, f"{name}人力资源和社会保障局")
    db.session.commit()
    jurisdictions.forget()
    assert queries(app, client, "/boards") == 1
    assert "旌德县" in client.get("/boards").text
    assert queries(app, client, "/boards") == 0
    assert queries(app, client, f"/c/{B}/board") == few
