"""The periodic reminder of people short of the current year's hours (004 第八条)."""

from portal.clock import current_year
from portal.dashboard import service
from portal.jobs.service import periodic


@periodic(
    "reminders.short",
    "提醒学时未达标人员",
    "每年10月至12月，每月1日 09:00",
    per_county=True,
    minute="0",
    hour="9",
    day="1",
    month="10-12",
)
def remind_short_people(job, progress) -> str:
    year = current_year()
    return service.remind_county(year).summary(year)
