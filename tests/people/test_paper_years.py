"""Paper years: a year before the portal entered from its paper 继续教育证书 by the bureau or the
person's unit, registered at once, read by the certificate and `flask people show`."""

import io
import json

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
        data={"year": "2022", "general": "30", "professional": "60", "file": scan()},
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
        == "公需30学时，专业60学时，达标"
    )


def test_people_show_gives_source_paper(app, world, runner):
    p = world["p"]
    paper.enter_paper_year(world["officer"], p, 2021, 20, 60, scan())
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
        paper.enter_paper_year(officer, p, 2031, 30, 60, scan())
    with pytest.raises(Refusal, match="PDF、JPG 或 PNG"):
        paper.enter_paper_year(officer, p, 2022, 30, 60, scan(b"MZ\x90\x00", "x.exe"))
    paper.enter_paper_year(officer, p, 2022, 10, 20, scan())
    with pytest.raises(Refusal, match="已有申报记录"):
        paper.enter_paper_year(officer, p, 2022, 30, 60, scan())
    assert not db.session.scalar(sa.select(Declaration).filter_by(year=2022)).compliant


def test_another_unit_may_not(app, world):
    p = world["p"]
    with pytest.raises(Refusal) as refused:
        paper.enter_paper_year(world["rb"], p, 2022, 30, 60, scan())
    assert refused.value.status == 403
    db.session.rollback()  # as the request boundary does after a refusal
    response = login(app, world["rb"]).post(
        f"/people/{p.id}/paper-years",
        data={"year": "2022", "general": "30", "professional": "60", "file": scan()},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404


def test_a_bad_scan_comes_back_beside_the_field(app, world):
    p = world["p"]
    response = login(app, world["officer"]).post(
        f"/people/{p.id}/paper-years",
        data={"year": "2022", "general": "30", "professional": "60"},
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
    year = paper.enter_paper_year(world["officer"], p, 2022, 30, 60, scan())
    db.session.commit()
    me = login(app, p.user)
    for url in ("/declarations/", "/declarations/2022", "/certificates", "/profile/"):
        response = me.get(url)
        assert response.status_code == 200, url
        assert "2022" in response.text, url
    assert login(app, world["ra"]).get(f"/review/{year.id}").status_code == 200
