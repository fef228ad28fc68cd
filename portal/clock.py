"""The bureau's local clock: Asia/Shanghai whatever the server's time zone is."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from portal.models_base import utcnow

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today in the bureau's time zone."""
    return datetime.now(LOCAL_TZ).date()


def current_year(now: datetime | None = None) -> int:
    return (now or utcnow()).astimezone(LOCAL_TZ).year


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the bureau reads it ("" for none)."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)
