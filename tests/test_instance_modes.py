"""instance/ and what it holds belong to the service account alone (issue 14)."""

import os
import stat

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def fresh_instance(tmp_path, monkeypatch):
    """An app on a new instance folder with its defaults: SQLite inside, a generated key."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    previous = os.umask(0o022)  # the usual default: files readable by all unless we say so
    try:
        app = create_app({"TESTING": True})
        with app.app_context():
            db.create_all()
            db.session.execute(sa.text("SELECT 1"))
            db.session.commit()
        yield app, instance
        with app.app_context():
            db.engine.dispose()
    finally:
        os.umask(previous)


def test_instance_folder_and_secrets_are_private(fresh_instance):
    app, instance = fresh_instance
    assert app.instance_path == str(instance)
    assert mode(instance) == 0o700
    assert mode(instance / "evidence") == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert len((instance / "secret_key").read_text()) == 64
    database = instance / "portal.sqlite3"
    assert database.stat().st_size > 0  # the real database, created where we made it
    assert mode(database) == 0o600
    for companion in (instance / "portal.sqlite3-wal", instance / "portal.sqlite3-shm"):
        if companion.exists():
            assert mode(companion) == 0o600, companion
    assert mode(instance / "jobs.sqlite3") == 0o600  # the job queue (the jobs' arguments)


def test_loose_modes_left_by_an_old_install_are_tightened(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    (instance / "evidence").mkdir(parents=True)
    os.chmod(instance, 0o755)
    os.chmod(instance / "evidence", 0o755)
    (instance / "secret_key").write_text("x" * 64)
    os.chmod(instance / "secret_key", 0o644)
    (instance / "portal.sqlite3").write_bytes(b"")
    os.chmod(instance / "portal.sqlite3", 0o644)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SECRET_KEY"] == "x" * 64
    for path, expected in (
        (instance, 0o700),
        (instance / "evidence", 0o700),
        (instance / "secret_key", 0o600),
        (instance / "portal.sqlite3", 0o600),
    ):
        assert mode(path) == expected, path


def test_uploaded_evidence_files_are_private(app):
    from portal.declarations import evidence

    with app.app_context():
        path = evidence.write_file("0" * 32 + ".pdf", b"%PDF-1.4\n")
        assert mode(path) == 0o600
        db.session.rollback()  # removes the file written in the transaction


def test_job_result_files_are_private(app):
    """Exports and printed certificates wait under instance/jobs/ for their download."""
    from portal.jobs import service
    from portal.jobs.models import Job

    previous = os.umask(0o022)
    try:
        with app.app_context():
            job = Job(kind="exchange.export", title="导出")
            service.save_result(job, b"ID numbers", "export.xlsx")
            folder = service.result_dir()
            assert mode(folder) == 0o700
            assert mode(os.path.join(folder, job.result_file)) == 0o600
    finally:
        os.umask(previous)
