"""The statistics page keeps its rendered figures by the snapshot's revision
(portal.stats.rendered): a new computation shows at once, even in the same instant; the reader's
own parts are rendered for each reader; a reader outside the jurisdiction is refused before
anything kept is looked at; a filtered page is never kept."""

import re
from datetime import UTC, datetime

from portal.accounts.models import Role
from portal.extensions import db
from portal.jurisdictions import service as places
from portal.stats import rendered, snapshots
from tests.conftest import logged_in
from tests.stats import test_city
from tests.stats.test_city import PROVINCE, YEAR, A, B, _overall

city = test_city.city  # the fixture: county A, county B of the same city, another city

INSTANT = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def _kept(app) -> int:
    return len(app.extensions[rendered.EXTENSION].pieces)


def _figures(html: str) -> str:
    """The kept part of a page: from the summary to the last table."""
    return html[html.index('<section class="card stats-summary">') : html.index('id="echarts-lib"')]


def test_a_computation_in_the_same_instant_shows_at_once(
    app, client, auth, make_user, make_unit, make_professional, monkeypatch
):
    """The revision, not the time, names the figures: two computations in the same instant (a
    frozen clock, or two within the clock's resolution) each show their own."""
    monkeypatch.setattr(snapshots, "utcnow", lambda: INSTANT)
    unit = make_unit()
    make_professional(unit=unit, account=False)
    auth.login(make_user(Role.BUREAU_OFFICER))
    assert _overall(client.get(f"/stats/?year={YEAR}").get_data(as_text=True))[0] == "1"
    assert _kept(app) == 1
    make_professional(unit=unit, account=False)
    snapshots.refresh([places.default_county()], [YEAR])
    db.session.commit()
    page = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    assert _overall(page)[0] == "2" and "计算于 2026-01-05 09:00" in page


def test_each_reader_gets_their_own_parts_around_the_same_figures(app, city, make_user):
    """County A's figures read by its officer and by the province's viewer: rendered once, the
    same HTML; the 重新计算 button (and its CSRF token) only on the officer's page."""
    viewer = make_user(Role.PROVINCE_VIEWER, jurisdiction_code=PROVINCE)
    url = f"/stats/?year={YEAR}&jurisdiction={A}"
    own = logged_in(app, city[A]).get(url).get_data(as_text=True)
    assert _kept(app) == 1
    seen = logged_in(app, viewer).get(url).get_data(as_text=True)
    assert _kept(app) == 1  # the viewer read the kept figures
    assert _figures(seen) == _figures(own) and _overall(seen)[:4] == ["3", "2", "2", "1"]
    assert "重新计算</button>" in own and 'name="csrf_token"' in own
    assert "重新计算" not in seen and 'name="csrf_token"' not in seen.split("<main")[1]


def test_kept_figures_are_not_shown_outside_their_jurisdiction(app, city):
    """County A's page kept: B's officer asking for it is refused, and B's own page shows B's."""
    url = f"/stats/?year={YEAR}&jurisdiction={A}"
    assert logged_in(app, city[A]).get(url).status_code == 200
    neighbour = logged_in(app, city[B])
    assert neighbour.get(url).status_code == 404
    assert neighbour.get(f"/stats/?year={YEAR}&jurisdiction={A}&page=1").status_code == 404
    headers = {"HX-Request": "true"}
    assert neighbour.get(f"{url}&page=2", headers=headers).status_code == 404
    own = neighbour.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    assert _overall(own)[:4] == ["2", "1", "1", "1"] and "示范县一中" not in own


def test_a_filtered_page_and_a_unit_reviewers_are_never_kept(
    app, client, auth, make_user, make_unit, make_professional
):
    unit = make_unit()
    make_professional(unit=unit, account=False)
    auth.login(make_user(Role.BUREAU_OFFICER))
    filtered = client.get(f"/stats/?year={YEAR}&unit={unit.id}").get_data(as_text=True)
    assert "按筛选条件实时计算" in filtered
    reviewer = logged_in(app, make_user(Role.UNIT_REVIEWER, unit=unit))
    assert reviewer.get(f"/stats/?year={YEAR}").status_code == 200
    assert _kept(app) == 0
    make_professional(unit=unit, account=False)  # computed now: seen at once
    page = reviewer.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    assert _overall(page)[0] == "2"


def test_the_pager_keeps_the_query_of_its_own_page(app, client, auth, make_user):
    """The query string is part of what is kept: the units' pager links of one page never
    carry another's."""
    auth.login(make_user(Role.BUREAU_OFFICER))
    client.get(f"/stats/?year={YEAR}")
    other = client.get(f"/stats/?year={YEAR}&unit=&series=").get_data(as_text=True)
    assert _kept(app) == 2 and "计算于 " in other


def test_the_oldest_piece_goes_first():
    kept = rendered.Kept(size=2)
    kept.put(("a",), "A")
    kept.put(("b",), "B")
    assert kept.get(("a",)) == "A"  # a is now the most recently used
    kept.put(("c",), "C")
    assert kept.get(("b",)) is None and kept.get(("a",)) == "A" and kept.get(("c",)) == "C"
    assert len(kept.pieces) == 2


def test_the_revision_changes_each_time_the_rows_are_written(ctx, make_professional):
    make_professional(account=False)
    code = places.default_county()
    first = snapshots.refresh([code], [YEAR])[0]
    revision = first.revision
    again = snapshots.refresh([code], [YEAR])[0]
    assert again.id == first.id and again.revision != revision
    assert re.fullmatch(r"[0-9a-f]{32}", again.revision)


def test_the_filter_options_follow_the_choices():
    """The <option>s are kept by the whole list: a renamed or added unit makes new ones."""
    from portal.stats import tables

    before = tables.options([(1, "一中"), (2, "二中")], 2)
    assert str(before) == '<option value="1">一中</option><option value="2" selected>二中</option>'
    assert tables.options([(1, "一中"), (2, "二中")], 2) is before  # kept
    assert "第二中学" in tables.options([(1, "一中"), (2, "第二中学")], 2)
    assert tables.options([(1, "一中"), (2, "二中"), (3, "<三中>")], None).count("<option") == 3
    assert "&lt;三中&gt;" in tables.options([(3, "<三中>")], None)
