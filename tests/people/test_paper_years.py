"""Paper years: a year before the portal entered from its paper 继续教育证书 by the bureau or the
person's unit, registered at once, read by the certificate and `flask people show`."""

import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.certificates.service import registered_declarations
from portal.declarations import paper
from portal.declarations.models import Declaration, DeclarationSource, DeclarationStatus
from portal.extensions import db
from portal.refusal import Refusal
from portal.units.models import UnitType
from tests.conftest import logged_in as login
from tests.hostile import plain_pdf

PDF = plain_pdf()


# The booklet's own registering body and date, entered with every paper year (issue 22.3).
BOOKLET = {"registrar": "示范县人力资源和社会保障局", "registered_on": date(2023, 1, 10)}
BOOKLET_FORM = {"registrar": "示范县人力资源和社会保障局", "registered_on": "2023-01-10"}


def scan(content=PDF, name="2022年证书.pdf"):
    return FileStorage(stream=io.BytesIO(content), filename=name)


@pytest.fixture
def world(make_unit, make_user, make_professional):
    a = make_unit(type=UnitType.INSTITUTION)
    b = make_unit(type=UnitType.INSTITUTION)
    return {
        "p": make_professional(unit=a),
        "ra": make_user(Role.UNIT_REVIEWER, unit=a),
        "rb": make_user(Role.UNIT_REVIEWER, unit=b),
        "officer": make_user(Role.BUREAU_OFFICER),
    }


def test_unit_enters_a_paper_year_through_the_page(app, world):
    p = world["p"]
    client = login(app, world["ra"])
    response = client.post(
        f"/people/{p.id}/paper-years",
        data={"year": "2022", "general": "30", "professional": "60", "file": scan()} | BOOKLET_FORM,
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    year = db.session.scalar(sa.select(Declaration).filter_by(professional_id=p.id, year=2022))
    assert year.source is DeclarationSource.PAPER
    assert year.status is DeclarationStatus.REGISTERED
    assert (year.general_hours, year.professional_hours, year.total_hours) == (30, 60, 90)
    assert year.compliant and year.rule_set == "hefei-2021"
    assert year.reviewer_id == world["ra"].id and year.unit_id == p.unit_id
    assert year.claims[0].evidence[0].original_name == "2022年证书.pdf"
    page = client.get(f"/people/{p.id}")
    assert "纸质证书录入" in page.text and "扫描件" in page.text
    assert registered_declarations(p) == [year]
    assert (
        db.session.scalar(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "declaration.paper_entered")
        )
        == "公需30学时，专业60学时，达标；据纸质证书登记：示范县人力资源和社会保障局2023-01-10"
    )


def test_people_show_gives_source_paper(app, world, runner):
    p = world["p"]
    paper.enter_paper_year(world["officer"], p, 2021, 20, 60, scan(), **BOOKLET)
    db.session.commit()
    result = runner.invoke(args=["people", "show", p.id_number])
    assert result.exit_code == 0, result.output
    years = json.loads(result.output)["years"]
    assert years == [
        {
            "year": 2021,
            "general": 20,
            "professional": 60,
            "status": "已登记",
            "unit": p.unit.name,
            "source": "paper",
        }
    ]


def test_bad_entries_are_refused(app, world):
    p, officer = world["p"], world["officer"]
    with pytest.raises(Refusal, match="只能录入"):
        paper.enter_paper_year(officer, p, 2031, 30, 60, scan(), **BOOKLET)
    with pytest.raises(Refusal, match="PDF、JPG 或 PNG"):
        paper.enter_paper_year(officer, p, 2022, 30, 60, scan(b"MZ\x90\x00", "x.exe"), **BOOKLET)
    paper.enter_paper_year(officer, p, 2022, 10, 20, scan(), **BOOKLET)
    with pytest.raises(Refusal, match="已有申报记录"):
        paper.enter_paper_year(officer, p, 2022, 30, 60, scan(), **BOOKLET)
    assert not db.session.scalar(sa.select(Declaration).filter_by(year=2022)).compliant


def test_another_unit_may_not(app, world):
    p = world["p"]
    with pytest.raises(Refusal) as refused:
        paper.enter_paper_year(world["rb"], p, 2022, 30, 60, scan(), **BOOKLET)
    assert refused.value.status == 403
    db.session.rollback()  # as the request boundary does after a refusal
    response = login(app, world["rb"]).post(
        f"/people/{p.id}/paper-years",
        data={"year": "2022", "general": "30", "professional": "60", "file": scan()} | BOOKLET_FORM,
        content_type="multipart/form-data",
    )
    assert response.status_code == 404


def test_a_bad_scan_comes_back_beside_the_field(app, world):
    p = world["p"]
    response = login(app, world["officer"]).post(
        f"/people/{p.id}/paper-years",
        data={"year": "2022", "general": "30", "professional": "60"} | BOOKLET_FORM,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "请选择要上传的文件" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Declaration.id))) == 0


def test_demo_has_paper_years_for_five_year_cycles(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0  # loading twice adds nothing
    with app.app_context():
        paper_people = db.session.scalars(
            sa.select(Declaration.professional_id)
            .where(Declaration.source == DeclarationSource.PAPER)
            .distinct()
        ).all()
        assert len(paper_people) == 4
        for person_id in paper_people:
            years = db.session.scalars(
                sa.select(Declaration.year).where(Declaration.professional_id == person_id)
            ).all()
            assert {2021, 2022, 2023, 2024} <= set(years), person_id


def test_pages_that_read_years_show_a_paper_year(app, world):
    p = world["p"]
    year = paper.enter_paper_year(world["officer"], p, 2022, 30, 60, scan(), **BOOKLET)
    db.session.commit()
    me = login(app, p.user)
    for url in ("/declarations/", "/declarations/2022", "/certificates", "/profile/"):
        response = me.get(url)
        assert response.status_code == 200, url
        assert "2022" in response.text, url
    assert login(app, world["ra"]).get(f"/review/{year.id}").status_code == 200


# --- issue 22.3: paper years say what they are ----------------------------------------------


def test_a_paper_year_prints_as_registered_from_paper_never_as_reviewed(app, world, client, auth):
    import io as _io

    from pypdf import PdfReader

    p = world["p"]
    paper.enter_paper_year(world["officer"], p, 2022, 30, 60, scan(), **BOOKLET)
    db.session.commit()
    auth.login(p.user)
    pdf = client.post("/certificates/print")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(_io.BytesIO(pdf.data)).pages)
    assert "据纸质证书登记" in text and "示范县人力资源和社会保障局" in text
    assert "2023-01-10" in text and "经审核并公示" not in text
    from portal.certificates.models import CertificatePrint

    printed = db.session.scalar(sa.select(CertificatePrint))
    [row] = printed.content["years"]
    assert (row["reviewer"], row["reviewed_on"], row["registered_on"]) == (
        "据纸质证书登记（示范县人力资源和社会保障局）",
        "—",
        "2023-01-10",
    )
    auth.logout()
    page = client.get(f"/verify/{printed.token}").text
    assert "据纸质证书登记（示范县人力资源和社会保障局）" in page


def test_the_booklets_body_and_date_are_required(world):
    p, officer = world["p"], world["officer"]
    with pytest.raises(Refusal, match="登记单位"):
        paper.enter_paper_year(officer, p, 2022, 30, 60, scan(), registered_on=date(2023, 1, 1))
    with pytest.raises(Refusal, match="登记日期"):
        paper.enter_paper_year(officer, p, 2022, 30, 60, scan(), registrar="某局")
    with pytest.raises(Refusal, match="登记日期"):  # before the year it registers
        paper.enter_paper_year(
            officer, p, 2022, 30, 60, scan(), registrar="某局", registered_on=date(2021, 12, 1)
        )


def test_a_year_the_portal_could_have_reviewed_needs_the_bureau_and_a_reason(
    app, world, client, auth, make_professional, make_registered_declaration
):
    """The same path can no longer register a year the portal reviews (here 2024, the year
    another person registered through the portal) without review: a unit is refused, the
    bureau writes why, and the certificate's verification page shows it."""
    p = world["p"]
    LATER = BOOKLET | {"registered_on": date(2025, 1, 10)}
    make_registered_declaration(make_professional(), 2024)  # the portal's first year
    with pytest.raises(Refusal, match="县人社局办理"):
        paper.enter_paper_year(world["ra"], p, 2024, 30, 60, scan(), **LATER)
    with pytest.raises(Refusal, match="写明理由"):
        paper.enter_paper_year(world["officer"], p, 2024, 30, 60, scan(), **LATER)
    paper.enter_paper_year(world["ra"], p, 2023, 30, 60, scan(), **BOOKLET)  # before: the unit
    late = paper.enter_paper_year(
        world["officer"], p, 2024, 30, 60, scan(), **LATER, reason="外省进修期间由原单位登记"
    )
    assert late.paper_reason == "外省进修期间由原单位登记"
    db.session.commit()
    page = login(app, world["ra"]).post(
        f"/people/{p.id}/paper-years",
        data={"year": "2024", "general": "30", "professional": "60", "file": scan()}
        | BOOKLET_FORM
        | {"registered_on": "2025-01-10"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422 and "县人社局办理" in page.text
    auth.login(p.user)
    assert client.post("/certificates/print").status_code == 200
    from portal.certificates.models import CertificatePrint

    token = db.session.scalar(sa.select(CertificatePrint.token))
    auth.logout()
    verify = client.get(f"/verify/{token}").text
    assert "2024年度据纸质证书补录" in verify and "外省进修期间由原单位登记" in verify
