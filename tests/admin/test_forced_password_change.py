"""Issue 20.3 (等保 2.0 identification): a password an administrator typed — a new staff
account's, or a reset — must be replaced before any page but the change form opens."""

import pytest

from portal.accounts.models import Role, User
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.conftest import logged_in as login

TEMPORARY = "Temp-2026a"
OWN = "Mine#2026xyz"


@pytest.fixture
def admin(app, make_user):
    return login(app, make_user(Role.ADMIN, username="admin1"))


def _login(app, username, password):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303
    return client


def _held_to_the_change_form(client):
    for path in ("/", "/review/", "/people/", "/notifications/", "/board"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/password"), path
    hx = client.get("/review/people", headers={"HX-Request": "true"})
    assert hx.status_code == 204 and hx.headers["HX-Redirect"].endswith("/password")
    assert client.post("/review/people/1/confirm").status_code == 303  # a form post too
    page = client.get("/password")
    assert page.status_code == 200 and "请先设置自己的新密码" in page.text


def _change(client, old, new=OWN):
    return client.post("/password", data={"old_password": old, "new_password": new, "confirm": new})


def test_a_new_staff_account_changes_the_admins_password_first(app, admin, make_unit):
    unit = make_unit()
    data = {
        "username": "reviewer7",
        "name": "赵经办",
        "phone": "0563-1234567",
        "role": "unit_reviewer",
        "unit": str(unit.id),
        "provider": "",
        "password": TEMPORARY,
        "confirm": TEMPORARY,
    }
    assert admin.post("/admin/users/new", data=data).status_code == 303
    client = _login(app, "reviewer7", TEMPORARY)
    _held_to_the_change_form(client)
    assert _change(client, TEMPORARY, TEMPORARY).status_code == 422  # the same one again
    assert _change(client, TEMPORARY).status_code == 303
    assert client.get("/review/").status_code == 200
    user = db.session.scalar(db.select(User).filter_by(username="reviewer7"))
    db.session.refresh(user)
    assert not user.must_change_password


def test_a_reset_password_is_replaced_first(app, admin, make_user, make_unit):
    target = make_user(Role.UNIT_REVIEWER, unit=make_unit())
    assert _login(app, target.username, PASSWORD).get("/review/").status_code == 200
    response = admin.post(
        f"/admin/users/{target.id}/password", data={"password": TEMPORARY, "confirm": TEMPORARY}
    )
    assert response.status_code == 303
    client = _login(app, target.username, TEMPORARY)
    _held_to_the_change_form(client)
    assert client.post("/logout").status_code in (302, 303)  # logging out is always open
    client = _login(app, target.username, TEMPORARY)
    assert _change(client, TEMPORARY).status_code == 303
    assert client.get("/review/").status_code == 200


def test_own_passwords_are_not_forced(app, make_user):
    """Self-registration, activation and create-admin choose their own password."""
    user = make_user(Role.BUREAU_OFFICER)
    assert not user.must_change_password
    assert _login(app, user.username, PASSWORD).get("/review/").status_code == 200
