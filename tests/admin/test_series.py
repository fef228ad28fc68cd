"""Title series and their authorities: the admin keeps them, the bureau reads them."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.units.models import Authority, TitleSeries
from tests.conftest import logged_in as login


@pytest.fixture
def education(ctx):
    series = TitleSeries(name="中小学教师", authority=Authority(name="县教体局"))
    db.session.add_all([series, Authority(name="县卫健委")])
    db.session.commit()
    return series


def test_bureau_reads_without_forms(app, education, make_user):
    page = login(app, make_user(Role.BUREAU_OFFICER)).get("/admin/series")
    assert page.status_code == 200
    assert "县教体局" in page.text and "中小学教师" in page.text
    assert "新增职称系列" not in page.text and "由系统管理员维护" in page.text


def test_admin_adds_and_moves_a_series(app, education, make_user):
    client = login(app, make_user(Role.ADMIN))
    health = db.session.scalar(sa.select(Authority).filter_by(name="县卫健委"))
    added = client.post("/admin/series", data={"name": "卫生", "authority": health.id})
    assert added.status_code == 303
    assert db.session.scalar(sa.select(TitleSeries).filter_by(name="卫生")).authority_id == (
        health.id
    )
    moved = client.post(
        f"/admin/series/{education.id}",
        data={f"s{education.id}-name": "中小学教师", f"s{education.id}-authority": health.id},
    )
    assert moved.status_code == 303
    db.session.refresh(education)
    assert education.authority_id == health.id
    detail = db.session.scalar(
        sa.select(AuditEvent.detail).where(AuditEvent.action == "series.update")
    )
    assert detail == "行业主管部门：县教体局 → 县卫健委"


def test_duplicate_names_come_back_beside_the_field(app, education, make_user):
    client = login(app, make_user(Role.ADMIN))
    same = client.post(
        "/admin/series", data={"name": "中小学教师", "authority": education.authority_id}
    )
    assert same.status_code == 422 and "已有同名的职称系列" in same.text
    authority = client.post("/admin/series/authorities", data={"name": "县卫健委"})
    assert authority.status_code == 422 and "已有同名的行业主管部门" in authority.text
    renamed = client.post(
        f"/admin/series/authorities/{education.authority_id}",
        data={f"a{education.authority_id}-name": "县教育体育局"},
    )
    assert renamed.status_code == 303
    assert db.session.get(Authority, education.authority_id).name == "县教育体育局"


def test_bureau_may_not_change_them(app, education, make_user):
    client = login(app, make_user(Role.BUREAU_OFFICER))
    response = client.post(f"/admin/series/{education.id}", data={"name": "x"})
    assert response.status_code == 403
