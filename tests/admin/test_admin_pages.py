"""Admin pages: role gates, units with USCC validation, staff accounts, run-time settings."""

import pytest

from portal.accounts.idnumbers import make_uscc
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.settings import get_setting
from portal.units.models import Authority, Provider, Unit, UnitType
from tests.conftest import PASSWORD

USCC = make_uscc("12341822MB1234567")


def _events(app, action):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent).filter_by(action=action)).all()


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.PROFESSIONAL, "/admin/", 403),
        (Role.PROFESSIONAL, "/admin/units", 403),
        (Role.UNIT_REVIEWER, "/admin/units", 403),
        (Role.PROVIDER, "/admin/users", 403),
        (Role.AUDITOR, "/admin/settings", 403),
        (Role.BUREAU_OFFICER, "/admin/units", 200),
        (Role.BUREAU_OFFICER, "/admin/units/new", 200),
        (Role.BUREAU_OFFICER, "/admin/users", 403),
        (Role.BUREAU_OFFICER, "/admin/settings", 403),
        (Role.ADMIN, "/admin/units", 200),
        (Role.ADMIN, "/admin/users", 200),
        (Role.ADMIN, "/admin/users/new", 200),
        (Role.ADMIN, "/admin/settings", 200),
        (Role.ADMIN, "/audit/", 403),
        (Role.ADMIN, "/audit/export.csv", 403),
        (Role.BUREAU_OFFICER, "/audit/", 403),
        (Role.AUDITOR, "/audit/", 200),
    ],
)
def test_role_gates(client, auth, make_user, make_professional, role, path, status):
    user = make_professional().user if role == Role.PROFESSIONAL else make_user(role)
    auth.login(user)
    assert client.get(path).status_code == status


@pytest.mark.parametrize("path", ["/admin/units", "/admin/users", "/admin/settings", "/audit/"])
def test_anonymous_goes_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.fixture
def admin(client, auth, make_user):
    user = make_user(Role.ADMIN, username="admin1")
    auth.login(user)
    return user


def _unit(**overrides):
    data = {"name": "示范县人民医院", "uscc": USCC, "type": "institution", "county": "示范县"}
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("12341822MB123456", "统一社会信用代码应为18位"),
        (USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), "统一社会信用代码无效"),
    ],
)
def test_unit_uscc_is_validated(app, client, admin, uscc, message):
    response = client.post("/admin/units/new", data=_unit(uscc=uscc))
    assert response.status_code == 422
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Unit.id))) == 0


def test_unit_uscc_is_unique(client, admin, make_unit):
    existing = make_unit(name="老单位")
    response = client.post("/admin/units/new", data=_unit(uscc=existing.uscc.lower()))
    assert response.status_code == 422
    assert "该统一社会信用代码已被“老单位”使用" in response.text


def test_unit_create_edit_deactivate(app, client, admin):
    with app.app_context():
        db.session.add(Authority(name="县卫生健康委员会"))
        db.session.commit()
        authority_id = db.session.scalar(db.select(Authority.id))
    page = client.get("/admin/units/new").text
    assert "国有事业单位" in page and "非公企业" in page and "县卫生健康委员会" in page

    response = client.post("/admin/units/new", data=_unit(authority=str(authority_id)))
    assert response.status_code == 303
    with app.app_context():
        unit = db.session.scalar(db.select(Unit))
        assert (unit.uscc, unit.type, unit.authority_id) == (
            USCC,
            UnitType.INSTITUTION,
            authority_id,
        )
    assert "示范县人民医院" in client.get("/admin/units").text

    response = client.post(
        f"/admin/units/{unit.id}/edit",
        data=_unit(name="示范县中医院", type="state_enterprise", authority=""),
    )
    assert response.status_code == 303
    [event] = _events(app, "unit.update")
    assert "名称：示范县人民医院 → 示范县中医院" in event.detail
    assert "类型：国有事业单位 → 国有企业" in event.detail
    assert "行业主管部门：县卫生健康委员会 → （无）" in event.detail

    assert client.post(f"/admin/units/{unit.id}/active", data={"active": "0"}).status_code == 303
    with app.app_context():
        assert not db.session.get(Unit, unit.id).active
    assert [e.detail for e in _events(app, "unit.deactivate")] == ["示范县中医院：启用 → 停用"]
    assert len(_events(app, "unit.create")) == 1


def test_unit_list_filters_and_fragment(client, admin, make_unit):
    make_unit(name="示范县第一中学")
    make_unit(name="某某科技有限公司", type=UnitType.PRIVATE_ENTERPRISE)
    page = client.get("/admin/units?type=private_enterprise").text
    assert "某某科技有限公司" in page and "示范县第一中学" not in page
    fragment = client.get("/admin/units?q=第一", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="units-table"')
    assert "示范县第一中学" in fragment.text and "<html" not in fragment.text
    boosted = client.get("/admin/units", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_bureau_officer_manages_units(app, client, auth, make_user):
    auth.login(make_user(Role.BUREAU_OFFICER))
    assert client.post("/admin/units/new", data=_unit()).status_code == 303
    assert (
        client.get("/admin/").status_code == 403
    )  # /admin/ is the admin's; units live at /admin/units


def _staff(**overrides):
    data = {
        "username": "reviewer7",
        "name": "赵经办",
        "phone": "0563-1234567",
        "role": "unit_reviewer",
        "unit": "",
        "provider": "",
        "password": "Review-7x",
        "confirm": "Review-7x",
    }
    data.update(overrides)
    return data


def test_create_staff_accounts(app, client, admin, make_unit):
    unit = make_unit()
    page = client.get("/admin/users/new").text
    assert "专业技术人员</option>" not in page
    response = client.post("/admin/users/new", data=_staff())
    assert response.status_code == 422
    assert "单位经办人必须选择所属单位" in response.text
    response = client.post("/admin/users/new", data=_staff(role="provider"))
    assert "施教机构账号必须选择所属施教机构" in response.text
    response = client.post("/admin/users/new", data=_staff(role="professional", unit=str(unit.id)))
    assert "请从列表中选择" in response.text
    response = client.post(
        "/admin/users/new",
        data=_staff(unit=str(unit.id), password="reviewer7A!", confirm="reviewer7A!"),
    )
    assert "不能包含账号" in response.text
    response = client.post("/admin/users/new", data=_staff(username="Admin1", unit=str(unit.id)))
    assert "该账号已存在" in response.text

    assert client.post("/admin/users/new", data=_staff(unit=str(unit.id))).status_code == 303
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="reviewer7"))
        assert (user.role, user.unit_id) == (Role.UNIT_REVIEWER, unit.id)
    [event] = _events(app, "user.create")
    assert "角色：单位经办人" in event.detail and "Review-7x" not in event.detail


def test_create_provider_account(app, client, admin):
    with app.app_context():
        db.session.add(Provider(name="安徽某某继续教育基地"))
        db.session.commit()
        provider_id = db.session.scalar(db.select(Provider.id))
    data = _staff(username="provider1", role="provider", provider=str(provider_id))
    assert client.post("/admin/users/new", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="provider1")).provider_id


def test_disable_enable_unlock_reset(app, client, admin, make_user):
    from datetime import UTC, datetime, timedelta

    target = make_user(Role.BUREAU_OFFICER)  # not an auditor: see test_auditor_apart.py
    token = target.session_token
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 303
    with app.app_context():
        disabled = db.session.get(User, target.id)
        assert not disabled.active and disabled.session_token != token
    client.post(f"/admin/users/{target.id}/active", data={"active": "1"})
    enabled = db.session.get(User, target.id)  # the test's own context (make_user's)
    enabled.locked_until = datetime.now(UTC) + timedelta(minutes=10)
    enabled.failed_logins = 5
    db.session.commit()
    assert "锁定至" in client.get("/admin/users").text
    client.post(f"/admin/users/{target.id}/unlock")
    with app.app_context():
        user = db.session.get(User, target.id)
        assert user.active and user.locked_until is None and user.failed_logins == 0

    response = client.post(
        f"/admin/users/{target.id}/password", data={"password": "short", "confirm": "short"}
    )
    assert response.status_code == 422 and "密码至少需要8位" in response.text
    response = client.post(
        f"/admin/users/{target.id}/password",
        data={"password": "Temp-2026a", "confirm": "Temp-2026a"},
    )
    assert response.status_code == 303
    actions = [e.action for e in _events(app, "user.disable") + _events(app, "user.enable")] + [
        e.action for e in _events(app, "user.unlock") + _events(app, "user.reset_password")
    ]
    assert actions == ["user.disable", "user.enable", "user.unlock", "user.reset_password"]
    client.post("/logout")
    assert (
        client.post(
            "/login", data={"username": target.username, "password": "Temp-2026a"}
        ).status_code
        == 303
    )


def test_admin_cannot_disable_self(app, client, admin):
    response = client.post(
        f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "不能停用自己的账号" in response.text
    with app.app_context():
        assert db.session.get(User, admin.id).active


def test_user_list_hides_full_id_numbers(client, admin, make_professional):
    person = make_professional()
    page = client.get("/admin/users?role=all").text
    assert person.masked_id_number in page
    assert person.id_number not in page


def _settings(**overrides):
    data = {
        "PASSWORD_MIN_LENGTH": "8",
        "PASSWORD_MIN_CLASSES": "3",
        "LOGIN_MAX_FAILURES": "5",
        "LOGIN_LOCK_MINUTES": "15",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "20",
        "IDLE_TIMEOUT_MINUTES": "30",
        "AUDIT_RETENTION_MONTHS": "0",
        "EVIDENCE_MAX_FILE_BYTES": "10",
        "EVIDENCE_MAX_DECLARATION_BYTES": "50",
        "EVIDENCE_QUOTA_UNCONFIRMED_BYTES": "20",
        "EVIDENCE_QUOTA_PERSON_BYTES": "500",
        "ALLOW_TRANSITION_RULE_SET": "y",
        "TRAINING_PLAN_LEAD_DAYS": "15",
        "HIGHEST_ONLY_SCOPE": "clause",
        "PLAN_DECIDED_BY": "bureau",
        "CYCLE_CAP_FACTOR": "2",
        "TENURE_YEARS_FULL_SENIOR": "5",
        "TENURE_YEARS_DEPUTY_SENIOR": "5",
        "TENURE_YEARS_INTERMEDIATE": "4",
        "TENURE_YEARS_JUNIOR": "2",
        "TENURE_YEARS_ASSISTANT": "2",
        "STORAGE_MIN_FREE_BYTES": "500",
        "BACKUP_KEEP": "14",
        "FORM_TOKEN_HOURS": "24",
        "PUBLICITY_WORKING_DAYS": "5",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_page_shows_config_defaults(client, admin):
    page = client.get("/admin/settings").text
    assert "允许2025–2030年度选择合肥2021旧办法" in page
    assert 'name="EVIDENCE_MAX_FILE_BYTES" required type="number" value="10"' in page
    assert 'name="TRAINING_PLAN_LEAD_DAYS" required type="number" value="15"' in page


def test_settings_save_and_audit(app, client, admin):
    assert client.post("/admin/settings", data=_settings()).status_code == 303
    assert _events(app, "settings.update") == []  # nothing changed
    response = client.post(
        "/admin/settings",
        data=_settings(
            IDLE_TIMEOUT_MINUTES="20", EVIDENCE_MAX_FILE_BYTES="5", ALLOW_TRANSITION_RULE_SET=None
        ),
    )
    assert response.status_code == 303
    [event] = _events(app, "settings.update")
    assert "无操作自动退出（分钟）：30 → 20" in event.detail
    assert "单个证明材料大小上限（MB）：10 MB → 5 MB" in event.detail
    assert "允许2025–2030年度选择合肥2021旧办法：是 → 否" in event.detail
    with app.test_request_context():
        assert get_setting("IDLE_TIMEOUT_MINUTES") == 20
        assert get_setting("EVIDENCE_MAX_FILE_BYTES") == 5 * 1024 * 1024
        assert get_setting("ALLOW_TRANSITION_RULE_SET") is False
        assert get_setting("LOGIN_MAX_FAILURES") == 5  # never saved: the config default
        assert get_setting("BUREAU_NAME") == app.config["BUREAU_NAME"]


def test_storage_backup_and_form_token_settings(app, client, admin):
    response = client.post(
        "/admin/settings",
        data=_settings(STORAGE_MIN_FREE_BYTES="200", BACKUP_KEEP="30", FORM_TOKEN_HOURS="4"),
    )
    assert response.status_code == 303
    [event] = _events(app, "settings.update")
    assert "存储空间告警阈值（MB）：500 MB → 200 MB" in event.detail
    assert "保留的每晚备份份数：14 → 30" in event.detail
    assert "防重复提交标记有效期（小时）：24 → 4" in event.detail
    with app.test_request_context():
        assert get_setting("STORAGE_MIN_FREE_BYTES") == 200 * 1024 * 1024
    refused = client.post("/admin/settings", data=_settings(FORM_TOKEN_HOURS="0"))
    assert refused.status_code == 422


def test_highest_only_scope_setting(app, client, admin):
    page = client.get("/admin/settings").text
    assert "就高原则的认定范围" in page
    assert '<option selected value="clause">一项条款（默认）</option>' in page
    assert (
        client.post("/admin/settings", data=_settings(HIGHEST_ONLY_SCOPE="claim")).status_code
        == 303
    )
    [event] = _events(app, "settings.update")
    assert "就高原则的认定范围：一项条款（默认） → 一条申报" in event.detail
    with app.test_request_context():
        assert get_setting("HIGHEST_ONLY_SCOPE") == "claim"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("HIGHEST_ONLY_SCOPE", "both", "请从列表中选择"),
        ("PASSWORD_MIN_LENGTH", "6", "应在8–64之间"),
        ("IDLE_TIMEOUT_MINUTES", "abc", "请输入整数"),
        ("LOGIN_MAX_FAILURES", "", "请填写"),
        ("PUBLICITY_WORKING_DAYS", "4", "公示期不得少于5个工作日（第十四条）。"),
    ],
)
def test_settings_are_validated(app, client, admin, field, value, message):
    response = client.post("/admin/settings", data=_settings(**{field: value}))
    assert response.status_code == 422
    assert message in response.text
    assert _events(app, "settings.update") == []


def test_idle_timeout_setting_takes_effect(app, client, admin):
    client.post("/admin/settings", data=_settings(IDLE_TIMEOUT_MINUTES="10"))
    with client.session_transaction() as session:
        session["last_seen"] -= 11 * 60
    assert client.get("/admin/users").status_code == 302


def test_login_as_admin_then_password_of_other_unaffected(app, client, admin, make_user):
    other = make_user(Role.ADMIN)
    token = other.session_token
    client.post(
        f"/admin/users/{other.id}/password", data={"password": PASSWORD, "confirm": PASSWORD}
    )
    with app.app_context():
        assert db.session.get(User, other.id).session_token != token


def test_create_city_officer_account(app, client, admin):
    data = _staff(username="city1", role="city_officer", name="市局经办")
    assert client.post("/admin/users/new", data=data).status_code == 303
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="city1"))
        assert (user.role, user.unit_id) == (Role.CITY_OFFICER, None)


def test_authority_officer_account_names_its_authority(app, client, admin):
    with app.app_context():
        authority = Authority(name="县卫健委")
        db.session.add(authority)
        db.session.commit()
        authority_id = authority.id
    missing = _staff(username="auth1", role="authority_officer", name="卫健委经办")
    response = client.post("/admin/users/new", data=missing)
    assert response.status_code == 422
    assert "行业主管部门经办人必须选择所属行业主管部门" in response.text
    data = dict(missing, authority=str(authority_id), unit="")
    assert client.post("/admin/users/new", data=data).status_code == 303
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="auth1"))
        assert (user.role, user.authority_id, user.unit_id) == (
            Role.AUTHORITY_OFFICER,
            authority_id,
            None,
        )
        assert "行业主管部门：县卫健委" in db.session.scalar(
            db.select(AuditEvent.detail)
            .filter_by(action="user.create")
            .order_by(AuditEvent.id.desc())
        )


def test_the_tenure_table_is_edited_on_the_settings_page(client, admin):
    """Issue 21.3: the years per level applied for are the bureau's, seeded 5/5/4/2/2."""
    page = client.get("/admin/settings").text
    assert "申报中级职称的任职周期（年）" in page
    assert 'name="TENURE_YEARS_INTERMEDIATE" required type="number" value="4"' in page
    response = client.post("/admin/settings", data=_settings(TENURE_YEARS_INTERMEDIATE="3"))
    assert response.status_code == 303
    from portal.settings import get_setting

    assert get_setting("TENURE_YEARS_INTERMEDIATE") == 3
    refused = client.post("/admin/settings", data=_settings(TENURE_YEARS_INTERMEDIATE="0"))
    assert refused.status_code == 422 and "应在1–10之间" in refused.text
