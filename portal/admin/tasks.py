"""The nightly backup on the periodic schedule: the same full backup as `flask backup DIR`
(database, evidence files, keys, manifest with checksums), one folder a night under
BACKUP_FOLDER (default instance/backups/), the newest KEEP kept."""

import os
import shutil

from flask import current_app

from portal.admin import backup
from portal.clock import LOCAL_TZ
from portal.jobs.service import periodic
from portal.models_base import utcnow

KEEP = 14
PREFIX = "portal-"


def backup_root() -> str:
    path = current_app.config.get("BACKUP_FOLDER") or os.path.join(
        current_app.instance_path, "backups"
    )
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _prune(root: str) -> None:
    folders = sorted(name for name in os.listdir(root) if name.startswith(PREFIX))
    for name in folders[:-KEEP]:
        shutil.rmtree(os.path.join(root, name))


@periodic("backup.nightly", "数据备份", "每天 02:00", minute="0", hour="2")
def nightly_backup(job, progress) -> str:
    root = backup_root()
    name = PREFIX + utcnow().astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    manifest = backup.create(os.path.join(root, name))
    _prune(root)
    files = len(manifest.get("files", {}))
    return f"已备份到 instance/backups/{name}（{files} 个文件，保留最近 {KEEP} 份）"
