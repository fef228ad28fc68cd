"""The demo as shipped shows the yearly flow (issue 22 items 1–6, issue 20 item 2) on the pages
of the roles concerned, no setting changed (the test configuration's flag-only is put back to
the shipped default first)."""

from datetime import date

import sqlalchemy as sa

from portal.accounts.models import MoveRequest, MoveStatus, Professional, Role, User
from portal.admin.demo_flow import INTERNAL_PLAN
from portal.declarations.models import Claim, Declaration
from portal.extensions import db
from portal.settings import set_setting
from tests.conftest import logged_in


def _person(name):
    return db.session.scalar(sa.select(Professional).filter_by(name=name))


def _reviewer(unit_name):
    return db.session.scalar(
        sa.select(User).where(User.role == Role.UNIT_REVIEWER, User.unit.has(name=unit_name))
    )


def _year(name, year):
    return db.session.scalar(
        sa.select(Declaration).filter_by(professional_id=_person(name).id, year=year)
    )


def test_the_demo_shows_the_yearly_flow(app, runner):
    with app.test_request_context():
        set_setting("UNFILED_TRAINING_REFUSED", True)  # as shipped
        db.session.commit()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        officer = db.session.scalar(sa.select(User).where(User.role == Role.BUREAU_OFFICER))
        bureau = logged_in(app, officer)
        company = _reviewer("示范县城市建设投资有限公司")
        hospital = _reviewer("示范县人民医院")
        # 22.1: the overdue list; the doctor's unfiled trainings count 0 for his reviewer
        assert INTERNAL_PLAN in bureau.get("/providers/filings").text
        doctor = _year("朱晓东", 2025)
        page = logged_in(app, hospital).get(f"/review/{doctor.id}").text
        assert "未备案" in page and "计0学时" in page and "县外备案来源" in page
        teacher = _year("王晓梅", 2024)
        assert {c.filed_elsewhere for c in teacher.claims} == {"", "provincial", "other_county"}
        # 22.2 and 22.6: 于洋's company training counts 0; his year stays with the old unit
        yu = _year("于洋", 2025)
        old_unit = logged_in(app, company)
        assert "于洋" in old_unit.get("/review/").text
        assert "公司内部培训不算做继续教育学时" in old_unit.get(f"/review/{yu.id}").text
        listed = old_unit.get("/people/?q=于洋").text
        assert "于洋" in listed and "已调出" in listed
        # 22.3: 朱晓东's 2024 paper year was entered by the bureau with its reason
        paper = _year("朱晓东", 2024)
        assert paper.paper_registrar and paper.paper_reason and paper.reviewer_id == officer.id
        # 22.4: 张丽娟 attended one day of two
        claim = db.session.scalar(
            sa.select(Claim)
            .join(Declaration)
            .where(
                Declaration.professional_id == _person("张丽娟").id,
                Claim.source == "qualified_list",
            )
        )
        assert claim.facts == {"days": 1, "half_days": 0}
        # 22.5: the courseware page names 2025's end; March 2026 study went into 2025
        assert "2026-05-31" in bureau.get("/providers/courseware").text
        assert any(c.kind == "courseware" for c in _year("董卫东", 2025).claims)
        # 22.6: a move waiting for its date; 20.2: one waiting for the old unit
        ahead = db.session.scalar(
            sa.select(MoveRequest).filter_by(professional_id=_person("刘志强").id)
        )
        assert ahead.status is MoveStatus.SCHEDULED and ahead.started_on > date.today()
        assert "待生效" in bureau.get(f"/people/{_person('刘志强').id}").text
        school = logged_in(app, _reviewer("示范县实验小学"))
        assert "黄磊" in school.get("/people/moves").text
