"""Backup and restore of one instance: the database, the evidence files and the keys.

The evidence files are read from and restored into the file store (portal.storage.files): the
instance folder, or the object store when S3_BUCKET is set — a backup then holds the bucket's
evidence too and a restore writes it back into the (empty) configured bucket. The jobs' files
(exports, bulk PDFs) are not kept: they are made again on request.

A backup is a folder (mode 700, files 600) holding::

    database.sqlite3 | database.dump   SQLite's online backup API, or pg_dump -Fc
    evidence/<stored name>             every evidence file
    secret_key, audit_key, config.py   the instance's keys (and settings, when there are any)
    manifest.json                      sha256 and size of every file above, the rows of
                                       every table and the schema revision

`restore` goes only into an empty instance (no tables, no evidence), checks every file against
the manifest before touching anything, and afterwards checks the row counts again. Nothing is
merged: a restore is a disaster-recovery drill, not an import.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.config import private_dir, private_file
from portal.extensions import db
from portal.refusal import CONFLICT, INVALID, Refusal
from portal.storage import files

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
PG_DUMP = "database.dump"
KEY_FILES = ("secret_key", "audit_key", "config.py")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_private(source: Path, target: Path) -> None:
    private_file(target)
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)


def _sqlite_path() -> str:
    return db.engine.url.database


def _table_counts(connection) -> dict[str, int]:
    names = sorted(sa.inspect(connection).get_table_names())
    return {
        name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar()
        for name in names
    }


def _revision(counts: dict[str, int], connection) -> str:
    if "alembic_version" not in counts:
        return ""
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() or ""


# The tables and columns that name files under UPLOAD_FOLDER (evidence, plans' programmes).
STORED_FILES = (("evidence", "stored_name"), ("training_plan", "programme_stored"))


def _stored_names(connection) -> set[str]:
    """The files the database names (issue 23.9): a backup copies these, a restore checks them."""
    tables = set(sa.inspect(connection).get_table_names())
    names: set[str] = set()
    for table, column in STORED_FILES:
        if table in tables:
            names.update(
                name
                for (name,) in connection.execute(
                    sa.select(sa.column(column)).select_from(sa.table(table)).distinct()
                )
                if name
            )
    return names


def missing_files(connection) -> list[str]:
    store = files.store()
    return sorted(n for n in _stored_names(connection) if not store.exists(files.EVIDENCE, n))


def _write_private(target: Path, data: bytes) -> None:
    private_file(target)
    target.write_bytes(data)
    os.chmod(target, 0o600)


def create(folder: str | Path) -> dict:
    """Write a backup of this instance into `folder` (new or empty); return its manifest."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise Refusal(f"备份目录 {folder} 不是空的，请指定一个新目录。", CONFLICT)
    private_dir(folder)
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        target = folder / SQLITE_COPY
        private_file(target)
        source = sqlite3.connect(_sqlite_path())
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # a consistent copy even while the portal is running
        finally:
            source.close()
            copy.close()
        os.chmod(target, 0o600)
        engine = sa.create_engine(f"sqlite:///{target}")
        with engine.connect() as connection:
            counts = _table_counts(connection)
            revision = _revision(counts, connection)
            named = _stored_names(connection)
        engine.dispose()
    elif dialect == "postgresql":
        target = folder / PG_DUMP
        with db.engine.connect() as connection:
            # pg_dump reads the very snapshot the counts were taken in
            connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            counts = _table_counts(connection)
            revision = _revision(counts, connection)
            named = _stored_names(connection)
            private_file(target)
            _run(["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target)])
            connection.rollback()
    else:
        raise Refusal(f"不支持备份 {dialect} 数据库。", INVALID)
    written = [target]
    store = files.store()
    private_dir(folder / "evidence")
    missing = []
    # The files the copied database names, not what the store holds now: under load a file may
    # be written after the copy (not needed) or removed before it is copied (said so).
    for name in sorted(named):
        try:
            data = store.get(files.EVIDENCE, name)
        except FileNotFoundError:
            missing.append(name)
            continue
        _write_private(folder / "evidence" / name, data)
        written.append(folder / "evidence" / name)
    for name in KEY_FILES:
        source = Path(current_app.instance_path) / name
        if source.is_file():
            _copy_private(source, folder / name)
            written.append(folder / name)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": dialect,
        "revision": revision,
        "rows": counts,
        "missing": missing,  # named by the database, not on disk when the backup was taken
        "files": {
            path.relative_to(folder).as_posix(): {
                "sha256": _sha256(path),
                "size": path.stat().st_size,
            }
            for path in written
        },
    }
    manifest_path = folder / MANIFEST
    private_file(manifest_path)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _run(command: list[str]) -> None:
    """pg_dump / pg_restore with the password in the environment, never on the command line."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    address = url.set(drivername="postgresql", password=None).render_as_string()
    try:
        # pg_dump/pg_restore, an argument list without a shell, from settings: B603 accepted
        subprocess.run(  # nosec B603
            [*command, "-d", address], check=True, capture_output=True, env=env
        )
    except FileNotFoundError as error:
        raise Refusal(f"找不到 {command[0]}，请安装 PostgreSQL 客户端。", INVALID) from error
    except subprocess.CalledProcessError as error:
        detail = error.stderr.decode("utf-8", "replace").strip()[-500:]
        raise Refusal(f"{command[0]} 失败：{detail}", INVALID) from error


def read_manifest(folder: Path) -> dict:
    """The manifest, each listed file present with its recorded sha256; else a refusal."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Refusal(f"{folder} 中没有可读的备份清单 {MANIFEST}。", INVALID) from error
    if manifest.get("format") != FORMAT:
        raise Refusal("备份清单的格式版本不受支持。", INVALID)
    for name, expected in manifest.get("files", {}).items():
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts or not parts:
            raise Refusal(f"备份清单中的路径 {name} 不安全，已停止恢复。", INVALID)
        path = folder / name
        if not path.is_file():
            raise Refusal(f"备份缺少文件 {name}。", INVALID)
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise Refusal(f"备份文件 {name} 与清单中的校验值不符，可能已损坏或被改动。", INVALID)
    return manifest


def _instance_is_empty() -> bool:
    tables = sa.inspect(db.engine).get_table_names()
    return not tables and not files.store().names(files.EVIDENCE)


@contextmanager
def _no_connections():
    db.session.remove()
    db.engine.dispose()
    yield
    db.engine.dispose()


def restore(folder: str | Path) -> dict:
    """Restore the backup in `folder` into this (empty) instance; return its manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    dialect = db.engine.dialect.name
    if manifest["database"] != dialect:
        raise Refusal(
            f"备份来自 {manifest['database']} 数据库，当前实例使用 {dialect}，不能直接恢复。",
            INVALID,
        )
    if not _instance_is_empty():
        raise Refusal(
            "当前实例不是空的（已有数据表或证明材料），恢复只能在空实例中进行。", CONFLICT
        )
    with _no_connections():
        if dialect == "sqlite":
            source = sqlite3.connect(folder / SQLITE_COPY)
            target = sqlite3.connect(_sqlite_path())
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        else:
            _run(["pg_restore", "--no-owner", "--exit-on-error", str(folder / PG_DUMP)])
    store = files.store()
    for name in manifest["files"]:
        if name.startswith("evidence/"):
            store.put(files.EVIDENCE, Path(name).name, (folder / name).read_bytes())
    audit_key = Path(current_app.instance_path) / "audit_key"
    key_from_file = (
        audit_key.is_file() and current_app.config.get("AUDIT_KEY") == audit_key.read_text().strip()
    )
    for name in KEY_FILES:
        if name in manifest["files"]:
            _copy_private(folder / name, Path(current_app.instance_path) / name)
    if key_from_file and "audit_key" in manifest["files"]:
        # This process goes on appending to the restored audit chain: with the restored key.
        current_app.config["AUDIT_KEY"] = audit_key.read_text().strip()
    with db.engine.connect() as connection:
        counts = _table_counts(connection)
        manifest["missing_after_restore"] = missing_files(connection)
    if counts != manifest["rows"]:
        raise Refusal("恢复后的数据行数与备份清单不符，请检查后重试。", INVALID)
    return manifest
