"""The bureau's local clock: Asia/Shanghai (or the zone PORTAL_TIMEZONE names) whatever the
server's time zone is."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.models_base import _travelled_to, utcnow

DEFAULT_ZONE = "Asia/Shanghai"


def _bureau_zone() -> ZoneInfo:
    """The deployment's zone, fixed when the process starts (every time shown, the schedule and
    "today" follow it): PORTAL_TIMEZONE, an IANA name, by default Asia/Shanghai."""
    name = os.environ.get("PORTAL_TIMEZONE") or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(
            f"环境变量 PORTAL_TIMEZONE 的值“{name[:60]}”不是有效的时区名称（例如 Asia/Shanghai）。"
        ) from None


LOCAL_TZ = _bureau_zone()


def local_today() -> date:
    """Today in the bureau's time zone."""
    return utcnow().astimezone(LOCAL_TZ).date()


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """Run the services as if it were `moment` (aware): the demo builds past years this way,
    through the same operations a user's clicks call."""
    if moment.tzinfo is None:
        raise ValueError("travel() needs an aware datetime")
    token = _travelled_to.set(moment)
    try:
        yield
    finally:
        _travelled_to.reset(token)


def current_year(now: datetime | None = None) -> int:
    return (now or utcnow()).astimezone(LOCAL_TZ).year


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the bureau reads it ("" for none)."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)
