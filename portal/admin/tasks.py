"""The nightly database backup on the periodic schedule."""

import os

from portal.admin.nightly_backup import KEEP, backup_database
from portal.jobs.service import periodic


@periodic("backup.nightly", "数据库备份", "每天 02:00", minute="0", hour="2")
def nightly_backup(job, progress) -> str:
    path = backup_database()
    size = os.path.getsize(path) // 1024
    return f"已备份到 instance/backups/{os.path.basename(path)}（{size} KB，保留最近 {KEEP} 份）"
