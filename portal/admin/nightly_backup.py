"""The nightly database backup: an online copy under instance/backups/, the last KEEP kept.

(Named apart from portal/admin/backup.py, the full backup/restore of the hardening branch: when
both are merged, the nightly task should call that module's create() instead of this copy.)

SQLite: the sqlite3 online backup API (a consistent copy while the portal runs). PostgreSQL:
`pg_dump -Fc` when it is installed. Evidence files and the secret key are not in it: copy
instance/evidence/ and instance/secret_key as README.md says.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime

from flask import current_app

from portal.clock import LOCAL_TZ
from portal.extensions import db
from portal.models_base import utcnow

KEEP = 14


def backup_dir() -> str:
    path = current_app.config.get("BACKUP_FOLDER") or os.path.join(
        current_app.instance_path, "backups"
    )
    os.makedirs(path, exist_ok=True)
    return path


def backup_database(now: datetime | None = None) -> str:
    """Write one backup file and prune the oldest; returns the file's path."""
    stamp = (now or utcnow()).astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        path = os.path.join(backup_dir(), f"portal-{stamp}.sqlite3")
        source = db.engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            try:
                source.driver_connection.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise RuntimeError("未找到 pg_dump，无法备份 PostgreSQL 数据库")
        path = os.path.join(backup_dir(), f"portal-{stamp}.dump")
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run([pg_dump, "-Fc", "-f", path, plain], check=True, capture_output=True)
    _prune()
    return path


def _prune() -> None:
    files = sorted(f for f in os.listdir(backup_dir()) if f.startswith("portal-"))
    for name in files[:-KEEP]:
        os.remove(os.path.join(backup_dir(), name))
