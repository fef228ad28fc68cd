"""The nightly backup on the periodic schedule: the same full backup as `flask backup DIR`
(database, evidence files, keys, manifest with checksums), one folder a night under
BACKUP_FOLDER (default instance/backups/), the newest BACKUP_KEEP (a setting) kept."""

import os
import shutil

from flask import current_app

from portal.admin import backup
from portal.clock import LOCAL_TZ
from portal.jobs.service import periodic
from portal.models_base import utcnow
from portal.settings import get_setting

PREFIX = "portal-"


def backup_root() -> str:
    path = current_app.config.get("BACKUP_FOLDER") or os.path.join(
        current_app.instance_path, "backups"
    )
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _prune(root: str, keep: int) -> None:
    """Remove all but the newest `keep` nightly folders (their names sort by time)."""
    folders = sorted(name for name in os.listdir(root) if name.startswith(PREFIX))
    for name in folders[: max(len(folders) - keep, 0)]:
        shutil.rmtree(os.path.join(root, name))


@periodic("backup.nightly", "数据备份", "每天 02:00", minute="0", hour="2")
def nightly_backup(job, progress) -> str:
    root = backup_root()
    name = PREFIX + utcnow().astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    manifest = backup.create(os.path.join(root, name))
    keep = int(get_setting("BACKUP_KEEP"))
    _prune(root, keep)
    files = len(manifest.get("files", {}))
    return f"已完成备份（{files} 个文件，保留最近 {keep} 份，存放在服务器的备份目录）"
