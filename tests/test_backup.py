"""Backup and restore drill: every row and every file comes back, and tampering is caught."""

import json
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db


@pytest.fixture
def filled(app, make_unit, make_professional, make_submitted_declaration, make_user):
    """A database with people, declarations, evidence rows and their files on disk."""
    from portal.accounts.models import Role

    unit = make_unit()
    make_user(Role.BUREAU_OFFICER, name="王晓梅")
    for _ in range(3):
        declaration = make_submitted_declaration(make_professional(unit=unit))
        for claim in declaration.claims:
            for item in claim.evidence:
                path = Path(app.config["UPLOAD_FOLDER"]) / item.stored_name
                path.write_bytes(b"%PDF-1.4\n" + item.sha256.encode())
    (Path(app.instance_path)).mkdir(exist_ok=True)
    return app


def _rows(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        metadata = sa.MetaData()
        metadata.reflect(connection)
        return {
            name: [
                tuple(row)
                for row in connection.execute(
                    sa.select(metadata.tables[name]).order_by(
                        *metadata.tables[name].primary_key.columns or metadata.tables[name].columns
                    )
                )
            ]
            for name in tables
        }


def _files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}


def _restore(app, folder):
    """Run `restore` in `app` (the factories' app context is pushed too: name the app)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["restore", str(folder)])


@pytest.fixture
def empty_instance(tmp_path, monkeypatch):
    """A second app on a new, empty instance folder (its own SQLite file, no tables)."""
    instance = tmp_path / "restored-instance"
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    yield app
    with app.app_context():
        db.engine.dispose()


def _skip_unless_sqlite(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the SQLite drill; PostgreSQL runs test_backup_restore_drill_postgres")


def test_backup_restore_drill(filled, runner, empty_instance, tmp_path):
    _skip_unless_sqlite(filled)
    folder = tmp_path / "backup-1"
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name, entry in manifest["files"].items():
        assert len(entry["sha256"]) == 64
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600, name
    assert manifest["rows"]["declaration"] == 3

    result = _restore(empty_instance, folder)
    assert result.exit_code == 0, result.output
    assert "恢复完成" in result.output

    with filled.app_context():
        before = _rows(db.engine)
    with empty_instance.app_context():
        after = _rows(db.engine)
    restore_event = after["audit_event"].pop()  # the restore itself is audited afterwards
    assert "backup.restore" in restore_event
    (head_before,), (head_after,) = before.pop("audit_chain"), after.pop("audit_chain")
    assert head_after[1] == head_before[1] + 1  # the audit chain's head: one event further
    assert before == after
    assert any("backup.create" in row for row in after["audit_event"])
    assert _files(filled.config["UPLOAD_FOLDER"]) == _files(empty_instance.config["UPLOAD_FOLDER"])
    assert len(_files(empty_instance.config["UPLOAD_FOLDER"])) == 6
    restored_key = Path(empty_instance.instance_path) / "secret_key"
    if (Path(filled.instance_path) / "secret_key").exists():
        assert restored_key.read_bytes() == (Path(filled.instance_path) / "secret_key").read_bytes()


def test_restore_refuses_a_tampered_backup(filled, runner, empty_instance, tmp_path):
    _skip_unless_sqlite(filled)
    folder = tmp_path / "backup-2"
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    evidence = next((folder / "evidence").iterdir())
    evidence.write_bytes(evidence.read_bytes() + b"x")
    result = _restore(empty_instance, folder)
    assert result.exit_code == 2
    assert "与清单中的校验值不符" in result.output
    with empty_instance.app_context():
        assert sa.inspect(db.engine).get_table_names() == []  # nothing was touched


def test_restore_refuses_unsafe_paths_in_the_manifest(filled, runner, empty_instance, tmp_path):
    _skip_unless_sqlite(filled)
    folder = tmp_path / "backup-3"
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["../../etc/passwd"] = {"sha256": "0" * 64, "size": 1}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    result = _restore(empty_instance, folder)
    assert result.exit_code == 2 and "不安全" in result.output


def test_restore_refuses_an_instance_that_is_not_empty(filled, runner, tmp_path):
    folder = tmp_path / "backup-4"
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    result = runner.invoke(args=["restore", str(folder)])
    assert result.exit_code == 2
    assert "恢复只能在空实例中进行" in result.output


def test_backup_refuses_a_folder_in_use(filled, runner, tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "something").write_text("x")
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 2 and "不是空的" in result.output


def test_backup_restore_drill_postgres(filled, runner, tmp_path, monkeypatch):
    """The same drill on PostgreSQL (pg_dump / pg_restore) into a new, empty database."""
    with filled.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("runs under .ci/with-postgres")
        url = db.engine.url
    with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS portal_restore_drill"))
        connection.execute(sa.text("CREATE DATABASE portal_restore_drill"))
    target_url = url.set(database="portal_restore_drill").render_as_string(hide_password=False)
    folder = tmp_path / "backup-pg"
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "restored-pg"))
    target = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": target_url})
    try:
        result = _restore(target, folder)
        assert result.exit_code == 0, result.output
        with filled.app_context():
            before = _rows(db.engine)
        with target.app_context():
            after = _rows(db.engine)
        assert "backup.restore" in after["audit_event"].pop()
        (head_before,), (head_after,) = before.pop("audit_chain"), after.pop("audit_chain")
        assert head_after[1] == head_before[1] + 1  # the audit chain's head: one event further
        assert before == after
        assert _files(filled.config["UPLOAD_FOLDER"]) == _files(target.config["UPLOAD_FOLDER"])
    finally:
        with target.app_context():
            db.engine.dispose()


def test_a_backup_under_load_names_the_missing_files_and_restore_says_so(
    filled, runner, empty_instance, tmp_path, monkeypatch
):
    """Issue 23.9: the files copied are the ones the copied database names; one deleted between
    the database copy and the file copy (a busy portal) is listed, and the restore checks every
    evidence row against the files and says which are missing."""
    _skip_unless_sqlite(filled)
    from portal.storage import files

    folder = tmp_path / "backup-under-load"
    real_get = files.LocalStore.get
    gone = []

    def busy(store, area, name):
        if not gone and area == files.EVIDENCE:
            gone.append(name)
            store.delete(area, name)  # removed by a request after the database was copied
        return real_get(store, area, name)

    monkeypatch.setattr(files.LocalStore, "get", busy)
    extra = Path(filled.config["UPLOAD_FOLDER"]) / ("f" * 32 + ".pdf")
    extra.write_bytes(b"written after the copy, named by no row")
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["missing"] == gone
    assert f"evidence/{extra.name}" not in manifest["files"]
    assert gone[0] in result.stderr

    monkeypatch.undo()
    result = _restore(empty_instance, folder)
    assert result.exit_code == 1
    assert "1 个文件缺失" in result.stderr and gone[0] in result.stderr
    assert "均与清单一致" not in result.output
