"""The audit log's nightly work: check the chain, purge what is past the retention period
(AUDIT_RETENTION_MONTHS: 0 keeps everything, the default; else at least 6), and write the counts of refused access that no later event
carried. The auditor's page shows the last run."""

from portal.audit import service as audit
from portal.extensions import db
from portal.jobs.service import periodic
from portal.refusal import CONFLICT, Refusal
from portal.settings import get_setting

KIND = "audit.nightly"


def nightly() -> str:
    """One run (the periodic task, `flask audit purge`'s sibling); commits as it goes.

    A broken chain is not purged: the old events may be the evidence. The run then fails, so
    that the schedule's page says so."""
    summarised = audit.flush_refusal_counts()
    db.session.commit()
    report = audit.verify()
    db.session.commit()
    if not report.intact:
        raise Refusal(f"{report.summary}；本次未清理过期记录", CONFLICT)
    months = get_setting("AUDIT_RETENTION_MONTHS")
    if not months:
        return f"{report.summary}；审计记录永久保存，未清理；汇总拒绝访问计数 {summarised} 项"
    deleted, exported = audit.purge_with_export(months)
    db.session.commit()
    kept = f"（清理前已导出到 {exported}）" if exported else ""
    return (
        f"{report.summary}；清理保存超过 {months} 个月的记录 {deleted} 条{kept}；"
        f"汇总拒绝访问计数 {summarised} 项"
    )


@periodic(KIND, "审计日志校验与清理", "每天 03:00", minute="0", hour="3")
def audit_nightly(job, progress) -> str:
    return nightly()
