"""The periodic close of publicity periods that are over (replaces the cron line)."""

from portal.board import service
from portal.jobs.service import periodic


@periodic(
    "publicity.close", "办结到期公示", "每天 00:30、08:30", per_county=True, minute="30", hour="0,8"
)
def close_due_publicity(job, progress) -> str:
    summary = service.close_due()
    return summary.line().split(" / ")[0]
