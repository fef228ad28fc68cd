"""Issue 20.9: the board and the batch form print the bureau's publicity length, not 5."""

from portal.accounts.models import Role
from portal.extensions import db
from portal.settings import set_setting
from tests.conftest import logged_in as login


def test_the_board_says_the_bureaus_publicity_length(app, make_user):
    with app.test_request_context():
        set_setting("PUBLICITY_WORKING_DAYS", 7)
        db.session.commit()
    board = app.test_client().get("/board").text
    assert "公示期7个工作日" in board and "5个工作日" not in board
    form = login(app, make_user(Role.BUREAU_OFFICER)).get("/board/batches").text
    assert "公示期7个工作日" in form and "5个工作日" not in form
