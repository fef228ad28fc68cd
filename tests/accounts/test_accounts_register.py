"""Password policy, self-registration, own password change, CSRF on the public forms."""

import re
from datetime import date

import pytest

from portal.accounts.idnumbers import make_id_number
from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.accounts.service import password_problems
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.units.models import UnitType
from tests.conftest import PASSWORD

ID_NUMBER = make_id_number(date(1985, 6, 15), 321)


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefgh", False),  # lower only
        ("ABCDEFGH", False),  # upper only
        ("12345678", False),  # digits only
        ("!@#$%^&*", False),  # symbols only
        ("abcdEFGH", False),  # lower + upper
        ("abcd1234", False),  # lower + digit
        ("abcd!@#$", False),  # lower + symbol
        ("ABCD1234", False),  # upper + digit
        ("ABCD!@#$", False),  # upper + symbol
        ("1234!@#$", False),  # digit + symbol
        ("abcdEF12", True),  # lower + upper + digit
        ("abcdEF!@", True),  # lower + upper + symbol
        ("abcd12!@", True),  # lower + digit + symbol
        ("ABCD12!@", True),  # upper + digit + symbol
        ("aB1!aB1!", True),  # all four
        ("aB1!aB1", False),  # 7 characters
        ("aB1!aB1x", True),  # 8 characters
        ("Xzhangsan1", False),  # contains the user name
        ("XZHANGSAN1!", False),  # ... in any case
        ("Zhang-san1", True),
    ],
)
def test_password_policy(ctx, password, ok):
    assert (password_problems(password, username="zhangsan") == []) is ok


def test_password_policy_refuses_the_id_number(ctx):
    problems = password_problems(f"Aa{ID_NUMBER}", id_number=ID_NUMBER)
    assert problems == ["密码不能包含账号或身份证号码"]


def test_password_policy_messages_are_chinese(ctx):
    assert password_problems("abc") == [
        "密码至少需要8位",
        "密码需包含大写字母、小写字母、数字、符号中的至少3类",
    ]


def _form(where=None, **overrides):
    data = {
        "id_number": ID_NUMBER,
        "name": "王小明",
        "phone": "13955550001",
        "unit": str(where.id) if where else "0",
        "title_series": "教师",
        "title_level": "中级",
        "title_name": "一级教师",
        "works_since": "2015-09-01",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(overrides)
    return data


def test_register_page_lists_active_units_and_freelance(client, make_unit):
    make_unit(name="示范县第一中学")
    make_unit(name="已撤销的单位", active=False)
    page = client.get("/register").text
    assert "示范县第一中学" in page
    assert "已撤销的单位" not in page
    assert "自由职业（无工作单位）" in page
    assert "播音主持" in page and "正高级" in page and "员级" in page


def test_register_units_by_name_freelance_last_with_a_filter_hook(client, make_unit):
    for name in ("县医院", "示范县第一中学", "安徽某建设有限公司", "县财政局"):
        make_unit(name=name)
    page = client.get("/register").text
    select = re.search(r'<select[^>]*name="unit"[^>]*>(.*?)</select>', page, re.S)
    assert 'data-filter="输入单位名称筛选"' in select.group(0)  # portal.js adds the search box
    labels = re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))
    units = labels[1:-1]
    assert labels[0] == "请选择" and labels[-1] == "自由职业（无工作单位）"
    assert units == sorted(units) and len(units) == 4


def test_register_creates_account_and_pending_person(app, client, make_unit):
    unit = make_unit(name="示范县第一中学")
    response = client.post("/register", data=_form(unit, id_number=ID_NUMBER.lower()))
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(db.select(User))
        person = user.professional
        assert (user.username, user.role, user.name) == (ID_NUMBER, Role.PROFESSIONAL, "王小明")
        assert person.status == PersonStatus.PENDING
        assert person.birth_date == date(1985, 6, 15)
        assert (person.unit_id, person.phone, person.title_series) == (
            unit.id,
            "13955550001",
            "教师",
        )
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="account.register"))
        assert ID_NUMBER not in event.username + event.detail
    assert response.headers["Location"].endswith("/login")  # never logged in by registering
    assert client.get("/password").status_code == 302


def test_register_flash_names_the_unit_or_the_bureau(client, make_unit):
    unit = make_unit(name="示范县第一中学")
    response = client.post("/register", data=_form(unit), follow_redirects=True)
    assert "需经“示范县第一中学”确认" in response.text
    client.post("/logout")
    private = make_unit(name="某科技有限公司", type=UnitType.PRIVATE_ENTERPRISE)
    other = make_id_number(date(1990, 1, 1), 7)
    response = client.post("/register", data=_form(private, id_number=other), follow_redirects=True)
    assert "需经县人社局确认" in response.text


def test_register_freelance(app, client):
    assert client.post("/register", data=_form()).status_code == 303
    with app.app_context():
        person = db.session.scalar(db.select(Professional))
        assert person.unit_id is None and person.reviewed_by_bureau


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"id_number": ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")}, "身份证号码无效"),
        ({"id_number": "1234"}, "身份证号码应为18位"),
        ({"id_number": make_id_number(date(1920, 5, 5), 1)}, "出生日期不在合理范围内"),
        ({"id_number": make_id_number(date(2020, 5, 5), 1)}, "出生日期不在合理范围内"),
        ({"phone": "1395555000"}, "请输入11位手机号码"),
        ({"phone": "23955550001"}, "请输入11位手机号码"),
        ({"name": "Tom"}, "姓名应为2–20个汉字"),
        ({"name": "王"}, "姓名应为2–20个汉字"),
        ({"unit": ""}, "请选择工作单位"),
        ({"unit": "999"}, "请从列表中选择"),
        ({"title_series": "魔法"}, "请从列表中选择"),
        ({"title_level": ""}, "请选择职称级别"),
        ({"password": "abcdefgh", "confirm": "abcdefgh"}, "至少3类"),
        ({"confirm": "Other-pass1"}, "两次输入的密码不一致"),
        ({"password": f"Aa{ID_NUMBER}", "confirm": f"Aa{ID_NUMBER}"}, "不能包含账号或身份证号码"),
    ],
)
def test_register_invalid(app, client, overrides, field_message):
    response = client.post("/register", data=_form(**overrides))
    assert response.status_code == 422
    errors = re.findall(r'<p class="error" role="alert"[^>]*>([^<]+)</p>', response.text)
    assert any(field_message in error for error in errors), errors
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_register_name_with_middle_dot(client):
    assert client.post("/register", data=_form(name="阿依古丽·买买提")).status_code == 303


def test_register_never_tells_whether_a_number_is_known(app, client, make_professional):
    """A known number (with an account, or imported under another name) gets exactly the answer
    a new one gets, and nothing changes. (Born early enough for the form's works_since: a
    person of the fixture's sequence born late in 1999 was not 16 by 2015-09-01, and the
    answer was the form's error instead, depending on how many people earlier tests made.)"""
    known = make_professional(born=date(1985, 3, 4))
    imported = make_professional(account=False, name="李四", born=date(1986, 7, 8))
    fresh = make_id_number(date(1991, 2, 3), 5)
    answers = []
    for id_number, name in (
        (fresh, "王小明"),
        (known.id_number, "王小明"),
        (imported.id_number, "张三"),
    ):
        response = client.post(
            "/register", data=_form(id_number=id_number, name=name), follow_redirects=True
        )
        answers.append((response.status_code, response.request.path, _flash(response.text)))
    assert len(set(answers)) == 1, answers
    assert answers[0][1] == "/login" and "注册申请已提交" in answers[0][2]
    with app.app_context():
        assert db.session.get(Professional, imported.id).user_id is None
        assert db.session.scalar(db.select(db.func.count(User.id))) == 2  # known's and fresh's
        failures = db.session.scalars(
            db.select(AuditEvent.detail).filter_by(action="account.register", outcome="failure")
        ).all()
        assert sorted(failures) == ["姓名与已登记信息不符", "身份证号码已开通账号"]


def _flash(text: str) -> str:
    return text.split('class="flashes"')[1].split("</div>")[0] if 'class="flashes"' in text else ""


def test_register_is_throttled_per_address(app, client):
    from portal.accounts.service import REGISTRATIONS_PER_ADDRESS

    for n in range(REGISTRATIONS_PER_ADDRESS):
        number = make_id_number(date(1980, 1, 1 + n), n + 1)
        assert client.post("/register", data=_form(id_number=number)).status_code == 303
    number = make_id_number(date(1981, 1, 1), 99)
    response = client.post("/register", data=_form(id_number=number))
    assert response.status_code == 429


def test_change_password_rotates_the_session(app, client, auth, make_user):
    user = make_user(Role.ADMIN, username="wangwu")
    auth.login(user)
    other = app.test_client()
    other.post("/login", data={"username": "wangwu", "password": PASSWORD})
    assert other.get("/password").status_code == 200

    response = client.post(
        "/password",
        data={"old_password": "wrong", "new_password": "New-pass1", "confirm": "New-pass1"},
    )
    assert response.status_code == 422 and "原密码不正确" in response.text
    response = client.post(
        "/password",
        data={"old_password": PASSWORD, "new_password": "wangwu-X1", "confirm": "wangwu-X1"},
    )
    assert response.status_code == 422 and "不能包含账号" in response.text
    response = client.post(
        "/password",
        data={"old_password": PASSWORD, "new_password": "New-pass1", "confirm": "New-pass1"},
    )
    assert response.status_code == 303
    assert client.get("/password").status_code == 200  # this session continues
    assert other.get("/password").status_code == 302  # the other one ended
    client.post("/logout")
    assert auth.login("wangwu", "New-pass1").status_code == 303
    with app.app_context():
        outcomes = db.session.scalars(
            db.select(AuditEvent.outcome).filter_by(action="auth.password_change")
        ).all()
    assert outcomes == ["failure", "success"]


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_csrf_is_enforced_on_public_forms(csrf_app, path):
    client = csrf_app.test_client()
    response = client.post(path, data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "页面已过期或来源无法验证" in response.text
    assert "Traceback" not in response.text


def test_login_with_csrf_token_works(csrf_app, make_user):
    user = make_user(Role.ADMIN)
    client = csrf_app.test_client()
    token = _token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303


def test_register_with_csrf_token_works(csrf_app):
    client = csrf_app.test_client()
    token = _token(client.get("/register").text)
    assert client.post("/register", data={**_form(), "csrf_token": token}).status_code == 303
