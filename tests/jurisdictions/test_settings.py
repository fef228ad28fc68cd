"""Settings per county (issue 24.3): the admin keeps the per-county settings for each county and
as each city's default, only in an instance of several counties; a county's officer reads the
values in force for the county; a single-county install shows no county field anywhere."""

import json
import re

import pytest

from portal.accounts.models import Role
from portal.admin.service import settings_of
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.settings import get_setting, setting_at
from portal.settings.models import Setting
from tests.conftest import logged_in
from tests.jurisdictions.conftest import CITY, A, B

SELECTOR = re.compile(r'name="jurisdiction"|设置范围|辖区|所属县|县（市、区）')


def _form(level: str, **changed) -> dict:
    """The settings page's form at a level, as shown, with some values changed."""
    data = {}
    for spec in settings_of(level):
        value = changed.get(spec.key, setting_at(spec.key, level))
        if spec.kind == "bool":
            if value:
                data[spec.key] = "y"
        elif spec.kind == "mb":
            data[spec.key] = str(value // (1024 * 1024))
        else:
            data[spec.key] = str(value)
    return data


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.ADMIN, "/admin/settings"),
        (Role.ADMIN, "/admin/units/new"),
        (Role.ADMIN, "/admin/users/new"),
        (Role.ADMIN, "/admin/users"),
        (Role.BUREAU_OFFICER, "/settings/"),
        (Role.BUREAU_OFFICER, "/people/"),
        (Role.BUREAU_OFFICER, "/board/batches"),
        (Role.BUREAU_OFFICER, "/workdays/"),
        (Role.BUREAU_OFFICER, "/stats/?year=2025"),
        (Role.BUREAU_OFFICER, "/exchange/"),
        (None, "/board"),
        (None, "/register"),
        (None, "/verify"),
    ],
)
def test_a_single_county_shows_no_county_field(app, make_user, role, url):
    client = logged_in(app, make_user(role)) if role else app.test_client()
    response = client.get(url)
    assert response.status_code == 200
    assert not SELECTOR.search(response.get_data(as_text=True))


def test_the_admin_keeps_a_countys_settings_and_its_citys_default(app, two_counties, make_user):
    admin = make_user(Role.ADMIN)
    client = logged_in(app, admin)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="jurisdiction"' in page and "宣城市（全市默认）" in page and "郎溪县" in page
    # the city's default for its counties, then county B's own
    for level, days in ((CITY, 6), (B, 7)):
        response = client.post(
            f"/admin/settings?jurisdiction={level}",
            data=_form(level, PUBLICITY_WORKING_DAYS=days),
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert get_setting("PUBLICITY_WORKING_DAYS", B) == 7
    assert get_setting("PUBLICITY_WORKING_DAYS", A) == 6  # the city's default
    assert setting_at("PUBLICITY_WORKING_DAYS") == 5  # the instance's, untouched
    saved = {(row.jurisdiction_code, row.key) for row in Setting.query.all()}
    assert saved == {(CITY, "PUBLICITY_WORKING_DAYS"), (B, "PUBLICITY_WORKING_DAYS")}
    assert AuditEvent.query.filter(AuditEvent.detail.like("郎溪县：%")).count() == 1
    # a county's page holds the per-county settings only
    county_page = client.get(f"/admin/settings?jurisdiction={B}").get_data(as_text=True)
    assert 'name="PUBLICITY_WORKING_DAYS"' in county_page
    assert 'name="PASSWORD_MIN_LENGTH"' not in county_page
    assert client.get("/admin/settings?jurisdiction=999999").status_code == 404
    assert client.get(f"/admin/settings?jurisdiction={B}").status_code == 200


def test_a_countys_officer_reads_the_values_in_force_there(app, two_counties, make_user):
    from portal.settings import set_setting

    set_setting("PUBLICITY_WORKING_DAYS", 6, CITY)
    set_setting("PUBLICITY_WORKING_DAYS", 7, B)
    db.session.commit()
    rows = {}
    for code in (A, B):
        page = logged_in(app, make_user(Role.BUREAU_OFFICER, jurisdiction_code=code)).get(
            "/settings/"
        )
        text = re.sub(r"\s+", " ", page.get_data(as_text=True))
        rows[code] = re.search(r"公示期（工作日）.*?</tr>", text).group(0)
    assert "<td>7</td>" in rows[B] and "本县设置" in rows[B]
    assert "<td>6</td>" in rows[A] and "宣城市默认" in rows[A]


def test_the_cli_keeps_settings_per_county(app, two_counties):
    runner = app.test_cli_runner()
    seen = runner.invoke(
        args=["settings", "set", "PUBLICITY_WORKING_DAYS", "6", "--jurisdiction", CITY]
    )
    assert seen.exit_code == 0, seen.output
    shown = runner.invoke(args=["settings", "show", "--jurisdiction", B])
    assert json.loads(shown.output)["PUBLICITY_WORKING_DAYS"] == 6
    assert "PASSWORD_MIN_LENGTH" not in json.loads(shown.output)
    assert (
        json.loads(runner.invoke(args=["settings", "show"]).output)["PUBLICITY_WORKING_DAYS"] == 5
    )
    for args in (
        ["settings", "set", "PASSWORD_MIN_LENGTH", "10", "--jurisdiction", B],
        ["settings", "set", "PUBLICITY_WORKING_DAYS", "6", "--jurisdiction", "999999"],
    ):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 2 and "错误" in refused.output, refused.output
