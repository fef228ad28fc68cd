"""Issue 20.15 (smaller): the batch form ticks only the compliant declarations and offers 全选
and 全不选; an automatic batch title names the county; yes/no questions are radios in a row."""

import re

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.board.models import PublicityBatch
from portal.declarations.models import DeclarationStatus
from portal.extensions import db
from tests.board.test_board import _open, approved, today  # noqa: F401 (fixtures)
from tests.conftest import logged_in as login


def _ticked(page: str) -> set[str]:
    return set(re.findall(r'value="(\d+)" id="d\d+" checked', page))


def test_only_the_compliant_are_ticked_and_none_can_be(
    app,
    make_user,
    make_professional,
    make_submitted_declaration,
    approved,  # noqa: F811
):
    short = make_submitted_declaration(
        make_professional(name="赵六"),
        status=DeclarationStatus.APPROVED,
        general_hours=10,
        professional_hours=20,
        total_hours=30,
        compliant=False,
    )
    client = login(app, make_user(Role.BUREAU_OFFICER))
    page = client.get("/board/batches").text
    assert _ticked(page) == {str(d.id) for d in approved} and str(short.id) not in _ticked(page)
    assert "全不选" in page and "全选" in page
    assert _ticked(client.get("/board/batches?tick=none").text) == set()
    assert str(short.id) in _ticked(client.get("/board/batches?tick=all").text)


def test_an_automatic_title_names_the_county(app, make_user, approved, today):  # noqa: F811
    client = login(app, make_user(Role.BUREAU_OFFICER))
    assert _open(client, approved).status_code == 303
    title = db.session.scalar(sa.select(PublicityBatch.title))
    assert title.startswith("示范县2025年度专业技术人员继续教育学时登记公示"), title


def test_a_yes_no_question_is_drawn_as_radios_not_a_list(app, make_professional):
    person = make_professional()
    client = login(app, person.user)
    client.post("/declarations/open", data={"year": "2025"})
    page = client.get("/declarations/2025/claims/new?kind=project").text
    assert "是否已结项" in page
    fieldset = page.split("是否已结项")[0].rsplit("<fieldset", 1)[1]
    assert 'class="radio-group"' in fieldset
    assert "<ul" not in page.split("是否已结项")[1].split("</fieldset>")[0]
