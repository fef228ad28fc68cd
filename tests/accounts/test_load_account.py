"""The logged-in account's one statement (accounts.service.load_account): it brings along the
saved settings and the bell's unread count, which every logged-in page reads next; what the
request writes afterwards is counted again, and what it brought is never another account's."""

from portal.accounts.models import Role
from portal.accounts.service import load_account
from portal.extensions import db
from portal.notifications import service as notifications
from portal.settings import get_setting, set_setting
from portal.settings.models import Setting
from tests.perf.test_query_counts import captured


def test_a_logged_in_page_reads_account_settings_and_bell_in_one_statement(
    app, client, auth, make_user
):
    officer = make_user(Role.BUREAU_OFFICER)
    set_setting("IDLE_TIMEOUT_MINUTES", 45)
    notifications.notify([officer], "test.a", "一条消息")
    db.session.commit()
    auth.login(officer)
    db.session.expire_all()
    with captured(app) as statements:
        page = client.get("/password")
    assert page.status_code == 200
    assert '<span class="count">1</span>' in page.text
    # Nothing reads the settings or the notifications on its own: the account's statement did.
    assert not [s for s in statements if "FROM notification" in s and "password_hash" not in s]
    assert not [s for s in statements if "FROM setting" in s and "password_hash" not in s]


def test_the_account_brings_the_saved_settings_and_the_count(app, make_user):
    officer = make_user(Role.BUREAU_OFFICER)
    set_setting("IDLE_TIMEOUT_MINUTES", 45)
    set_setting("PUBLICITY_WORKING_DAYS", 7, "341822")
    db.session.add(Setting(key="marker-without-value", value={"n": 3}))
    notifications.notify([officer], "test.a", "一")
    notifications.notify([officer], "test.b", "二")
    db.session.commit()
    with app.test_request_context():
        user = load_account(officer.id, officer.session_token)
        assert user is officer
        with captured(app) as statements:
            assert notifications.unread_count(user) == 2
            assert get_setting("IDLE_TIMEOUT_MINUTES") == 45
            assert get_setting("PUBLICITY_WORKING_DAYS", "341822") == 7
            assert (
                get_setting("PUBLICITY_WORKING_DAYS", "341823")
                == app.config["PUBLICITY_WORKING_DAYS"]
            )
        assert statements == []  # all of it came with the account


def test_what_the_request_writes_is_counted_again(app, make_user):
    officer = make_user(Role.BUREAU_OFFICER)
    notifications.notify([officer], "test.a", "一")
    db.session.commit()
    with app.test_request_context():
        user = load_account(officer.id, officer.session_token)
        assert notifications.unread_count(user) == 1
        notifications.notify([user], "test.b", "二")
        assert notifications.unread_count(user) == 2
        notifications.notify_each([(user.id, "三", {})], "test.c")
        assert notifications.unread_count(user) == 3
        first = notifications.inbox(user)[-1]
        notifications.mark_read(user, first.id)
        assert notifications.unread_count(user) == 2
        notifications.mark_all_read(user)
        assert notifications.unread_count(user) == 0
        set_setting("IDLE_TIMEOUT_MINUTES", 20)
        assert get_setting("IDLE_TIMEOUT_MINUTES") == 20


def test_the_kept_count_is_only_the_loaded_accounts(app, make_user):
    officer, other = make_user(Role.BUREAU_OFFICER), make_user(Role.BUREAU_OFFICER)
    notifications.notify([other], "test.a", "一")
    notifications.notify([other], "test.b", "二")
    db.session.commit()
    with app.test_request_context():
        user = load_account(officer.id, officer.session_token)
        assert notifications.unread_count(user) == 0
        assert notifications.unread_count(other) == 2


def test_a_stale_or_disabled_account_is_not_loaded(app, make_user):
    officer = make_user(Role.BUREAU_OFFICER)
    set_setting("IDLE_TIMEOUT_MINUTES", 45)
    db.session.commit()
    with app.test_request_context():
        assert load_account(officer.id, "not-the-token") is None
        assert load_account(officer.id + 1000, officer.session_token) is None
        assert get_setting("IDLE_TIMEOUT_MINUTES") == 45  # the settings still right
    officer.active = False
    db.session.commit()
    with app.test_request_context():
        assert load_account(officer.id, officer.session_token) is None
