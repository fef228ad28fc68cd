"""Issue 23.14: the audit integrity check over many events made a login wait seconds, because
it held the chain's lock (on SQLite the write lock) for the whole walk. A running check never
blocks a write: an event appended while the check walks is committed before the check ends,
and the check still finds the chain intact."""

import threading

from portal.audit import chain
from portal.audit.service import record
from portal.extensions import db


def test_an_append_during_the_check_is_not_blocked_and_the_chain_stays_intact(app, ctx):
    for i in range(30):
        record("unit.create", detail=f"第{i}条", username="admin")
    db.session.commit()
    digest = chain._event_digest
    appended = {}

    def append_elsewhere():
        """A login in another request (its own context, session and connection)."""
        with app.app_context():
            try:
                record("auth.login", detail="检查进行中登录", username="someone")
                db.session.commit()
                appended["ok"] = True
            except Exception as error:  # the old check's lock: "database is locked" or a wait
                appended["error"] = repr(error)
            finally:
                db.session.remove()

    def digest_and_append_once(key, row):
        if row.seq == 10 and "thread" not in appended:
            appended["thread"] = threading.Thread(target=append_elsewhere)
            appended["thread"].start()
            appended["thread"].join(timeout=60)  # the check waits for the append to finish
        return digest(key, row)

    chain._event_digest = digest_and_append_once
    try:
        report = chain.verify(db.session)
    finally:
        chain._event_digest = digest
    db.session.rollback()
    assert appended.get("ok"), appended.get("error", "the append was still waiting")
    assert report.intact, report.summary
    assert chain.verify(db.session).intact  # and afterwards, with the new event walked too
