"""The public page cache across processes (issue 24.7): a change that clears it in one process
is on every other process's next request. Two apps on one database and one instance folder stand
for two processes (each app keeps its own store, as each process does); the generation they share
is a file in the instance (the default) or a counter in Redis (REDIS_URL)."""

from datetime import date

import pytest

from portal import create_app, pagecache
from portal.accounts.models import Role
from portal.board import service as board
from portal.extensions import db
from tests.conftest import _test_config
from tests.perf.test_query_counts import captured

IN_PERIOD = date(2025, 9, 29)


@pytest.fixture(params=["file", "redis"])
def shared(request, app, tmp_path):
    """The generation's home for both processes: {} (the instance file) or {"REDIS_URL": ...}."""
    if request.param == "file":
        return {}
    url = request.getfixturevalue("redis_url")
    app.config["REDIS_URL"] = url
    pagecache.init_app(app)
    return {"REDIS_URL": url}


@pytest.fixture
def other(app, tmp_path, shared):
    """A second process of the same instance: same database, same generation."""
    config = _test_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    second = create_app({**config, **shared})
    yield second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def _board(app):
    with captured(app) as ran:
        text = app.test_client(use_cookies=False).get("/board").get_data(as_text=True)
    return text, len(ran)


def test_a_batch_opened_through_one_process_is_on_the_others_board_at_once(
    app, other, client, auth, make_user, approved, monkeypatch
):
    monkeypatch.setattr(board, "local_today", lambda: IN_PERIOD)
    before, _ = _board(other)
    assert "张三丰" not in before
    assert _board(other)[1] == 0  # kept: the second visit is answered from its store
    auth.login(make_user(Role.BUREAU_OFFICER))
    opened = client.post(
        "/board/batches",
        data={"declarations": [str(approved.id)], "start": IN_PERIOD.isoformat(), "title": ""},
    )
    assert opened.status_code in (200, 303), opened.status_code
    after, ran = _board(other)
    assert "张三丰" in after and ran > 0
    assert _board(other)[1] == 0  # and kept again under the new generation


def test_a_change_rolled_back_moves_nothing_and_a_commit_moves_it_once(app, other, ctx):
    _board(other)
    seen = pagecache.generation(other)
    db.session.execute(db.text("SELECT 1"))
    pagecache.clear()  # inside a transaction: waits for the commit
    db.session.rollback()
    assert pagecache.generation(other) == seen and _board(other)[1] == 0
    db.session.execute(db.text("SELECT 1"))
    pagecache.clear()
    assert pagecache.generation(other) == seen
    db.session.commit()
    assert pagecache.generation(other) != seen
    assert _board(other)[1] > 0


def test_a_page_computed_before_a_change_is_not_kept_after_it(app, other, ctx):
    """The generation is read before the page is computed: a page rendered from the old data
    while another process committed a change is not kept under the new generation."""
    with other.app_context():
        before = pagecache.generation(other)
        assert pagecache.get(("rows",), other, before) is None  # a miss: the page is computed...
        pagecache.clear()  # ...while another process commits a change
        pagecache.put(("rows",), "old rows", other, seen=before)
        now = pagecache.generation(other)
        assert now != before
        assert pagecache.get(("rows",), other, now) is None
        pagecache.put(("rows",), "new rows", other, seen=now)
        assert pagecache.get(("rows",), other, now) == "new rows"


def test_a_generation_that_cannot_be_read_means_no_answer_from_the_store(
    app, other, shared, tmp_path
):
    _board(other)
    assert _board(other)[1] == 0
    if shared:  # Redis gone: the pages are rendered (and logged), not answered stale
        generation = other.extensions[pagecache._GENERATION]
        generation.url = "redis://127.0.0.1:1/0"  # nothing listens there
        generation.client = None
    else:  # the file cannot be read
        (tmp_path / "a-file").write_text("")
        other.extensions[pagecache._GENERATION].path = str(tmp_path / "a-file" / "generation")
        assert pagecache.generation(other) is None
    _, ran = _board(other)
    assert ran > 0
    assert _board(other)[1] > 0


def test_the_generation_file_grows_by_one_byte_and_starts_again_when_large(tmp_path, monkeypatch):
    generation = pagecache.FileGeneration(str(tmp_path / "generation"))
    assert generation.current() == 0
    generation.advance()
    generation.advance()
    assert generation.current() == 2
    assert oct((tmp_path / "generation").stat().st_mode)[-3:] == "600"
    monkeypatch.setattr(pagecache, "FILE_LIMIT", 2)
    generation.advance()
    assert generation.current() == 1  # emptied and written: another value, still a change
