"""Issue 22.9: the audit trail outlives the records it explains. Events are kept by default; a
bureau may set a retention of at least 6 months, and a purge that would delete events
explaining a registered year first writes them to a file the auditor keeps, and names it."""

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.audit.service import purge_with_export, record
from portal.extensions import db

NOW = datetime.now(UTC)


def _old_events(*days_ago):
    for days in days_ago:
        db.session.add(AuditEvent(at=NOW - timedelta(days=days), action="review.approve"))
    db.session.commit()
    record("unit.create", detail="今天", username="admin")  # chains every event added so far
    db.session.commit()


def _count():
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def test_by_default_nothing_is_purged(app, ctx, runner):
    from portal.admin.audit_tasks import KIND, audit_nightly
    from portal.jobs.service import run_periodic

    _old_events(3000, 900, 400)
    before = _count()
    job = run_periodic(KIND, audit_nightly.work)
    assert "永久保存" in job.message
    result = runner.invoke(args=["audit", "purge"])
    assert result.exit_code == 0 and json.loads(result.stdout)["deleted"] == 0
    assert _count() >= before  # only the checks were added
    assert db.session.scalar(sa.select(sa.func.min(AuditEvent.at))) <= NOW - timedelta(days=2999)


def test_a_purge_into_a_registered_years_events_exports_them_first(
    app, ctx, tmp_path, make_professional, make_registered_declaration
):
    """A year submitted two years ago is still registered: a 6-month retention would delete
    the events that say who approved it, so they are written to a file first."""
    two_years_ago = NOW.year - 2
    make_registered_declaration(make_professional(), two_years_ago)
    db.session.commit()
    _old_events(800, 500, 300)
    deleted, exported = purge_with_export(6, export_dir=tmp_path / "auditor")
    db.session.commit()
    assert deleted >= 3 and exported is not None
    assert stat.S_IMODE(os.stat(exported).st_mode) == 0o600
    with open(exported, encoding="utf-8") as written:
        lines = [json.loads(line) for line in written]
    assert len(lines) == deleted
    assert all(set(line) >= {"seq", "hash", "prev_hash", "action", "at"} for line in lines)
    purge = db.session.scalar(sa.select(AuditEvent).filter_by(action="audit.purge"))
    assert exported in purge.detail and "已登记年度" in purge.detail


def test_a_purge_that_explains_no_registered_year_needs_no_export(
    app, ctx, tmp_path, make_professional, make_registered_declaration
):
    make_registered_declaration(make_professional(), NOW.year)  # submitted this November
    db.session.commit()
    _old_events(800, 500)
    cutoff_months = 12 + NOW.month + 1  # before any registered year's events began
    deleted, exported = purge_with_export(cutoff_months, export_dir=tmp_path / "auditor")
    assert exported is None and not (tmp_path / "auditor").exists()
    assert deleted == 1  # the 800-day-old one


def test_the_settings_page_takes_0_or_6_and_more(app, client, auth, make_user):
    from portal.settings import SETTINGS

    [spec] = [s for s in SETTINGS if s.key == "AUDIT_RETENTION_MONTHS"]
    assert spec.problem(0) == "" and spec.problem(6) == "" and spec.problem(120) == ""
    assert "应在6–120之间" in spec.problem(3) and spec.problem(121)
    assert app.config["AUDIT_RETENTION_MONTHS"] == 0
