"""The daily step of confirmed employer changes whose date has come (待生效 → 已确认)."""

from portal.accounts import people
from portal.jobs.service import periodic


@periodic("moves.due", "到期单位变更生效", "每天 00:10", per_county=True, minute="10", hour="0")
def apply_due_moves(job, progress) -> str:
    return f"到期生效的单位变更 {people.apply_due_moves()} 项"
