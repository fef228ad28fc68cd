"""instance/ and what it holds belong to the service account alone (issue 14)."""

import os
import stat

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from portal.storage import files


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
        evidence.write_file("0" * 32 + ".pdf", b"%PDF-1.4\n")
        assert mode(evidence.path_of("0" * 32 + ".pdf")) == 0o600
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
            folder = files.store().folder(files.JOBS)
            assert mode(folder) == 0o700
            assert mode(os.path.join(folder, job.result_file)) == 0o600
    finally:
        os.umask(previous)


def test_a_read_only_instance_still_starts_and_serves_the_public_pages(tmp_path, monkeypatch):
    """Issue 23.3: an instance folder that cannot be changed (os.chmod fails with EROFS, as on
    a read-only mount) used to stop create_app. It starts; the board, /verify and the login
    answer; officers see the storage banner."""
    import errno

    from portal import config
    from portal.accounts.models import Role, User
    from portal.accounts.service import hash_password
    from portal.storage import service as storage

    instance = tmp_path / "instance"
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = create_app({"TESTING": True})  # an instance made while it was writable
    with first.app_context():
        db.create_all()
        db.session.add(
            User(username="bureau1", name="方", role=Role.BUREAU_OFFICER,
                 password_hash=hash_password("Bureau-2026x"))
        )  # fmt: skip
        db.session.commit()
        db.engine.dispose()

    def read_only(path, mode, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(config.os, "chmod", read_only)
    monkeypatch.setattr(storage, "_probe", lambda folder: False)  # what the mount answers
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.get("/board").status_code == 200
    assert client.get("/verify/ABCDEFGHJK").status_code == 404
    response = client.post("/login", data={"username": "bureau1", "password": "Bureau-2026x"})
    assert response.status_code == 303
    page = client.get("/board/batches")
    assert page.status_code == 200 and "实例目录无法写入" in page.text
    with app.app_context():
        db.engine.dispose()
