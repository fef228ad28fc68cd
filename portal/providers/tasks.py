"""Qualified-list and courseware imports as background jobs (the pages' way; the command line
runs the same services in its own process, synchronously).

The request checks the right, the plan's state and that the file is readable with its header,
stores the file and queues the job; the job reads and checks every row (reporting progress),
imports, and keeps two workbooks: the rows received with their outcome (the job's result file)
and the rows not taken, in the upload layout, to correct and resend.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import Role, User
from portal.audit.service import record
from portal.extensions import db
from portal.jobs import service as jobs
from portal.jobs.queue import huey
from portal.providers import lists, service
from portal.providers.models import ImportKind, ProviderImport, TrainingPlan
from portal.refusal import not_found

LIST_KIND, COURSEWARE_KIND = "providers.import_list", "providers.import_courseware"


def _store(content: bytes, filename: str) -> str:
    extension = ".csv" if (filename or "").lower().endswith(".csv") else ".xlsx"
    return jobs.store_upload(content, extension)


def submit_list(
    user: User, plan: TrainingPlan, content: bytes, filename: str, clean_rows: bool
) -> ProviderImport:
    """Queue a plan's qualified list (after the right, the plan's state and the file's header
    are checked); the import runs when the request's transaction commits."""
    lists.check_may_import(user, plan)
    lists.precheck(content, filename, courseware=False)
    job = jobs.submit(
        user,
        LIST_KIND,
        f"导入合格人员名单：{plan.title}"[:200],
        import_task,
        upload=_store(content, filename),
    )
    return _entry(user, job, ImportKind.LIST, filename, clean_rows, plan=plan)


def submit_courseware(
    user: User, content: bytes, filename: str, clean_rows: bool
) -> ProviderImport:
    lists.check_may_import_courseware(user)
    lists.precheck(content, filename, courseware=True)
    job = jobs.submit(
        user,
        COURSEWARE_KIND,
        f"导入网络课件学习记录：{filename}"[:200],
        import_task,
        upload=_store(content, filename),
    )
    return _entry(user, job, ImportKind.COURSEWARE, filename, clean_rows)


def _entry(user, job, kind, filename, clean_rows, plan=None) -> ProviderImport:
    provider_id = plan.provider_id if plan is not None else None
    if plan is None and user.role is Role.PROVIDER:
        provider_id = user.provider_id
    entry = ProviderImport(
        kind=kind,
        job_id=job.id,
        plan_id=getattr(plan, "id", None),
        provider_id=provider_id,
        filename=(filename or "")[:255],
        clean_rows=bool(clean_rows),
        created_by_id=user.id,
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "import.queued",
        plan if plan is not None else entry,
        user=user,
        detail=f"{kind.label}：{entry.filename}"
        + ("（有错误时只导入无误的行）" if clean_rows else ""),
    )
    return entry


def import_work(job, progress) -> str:
    """Read, check and import the stored file; keep the two workbooks; say what was done."""
    entry = db.session.scalar(sa.select(ProviderImport).where(ProviderImport.job_id == job.id))
    user = db.session.get(User, job.created_by_id) if job.created_by_id else None
    content = jobs.read_upload(job)
    courseware = entry.kind is ImportKind.COURSEWARE
    progress(0, lists.row_estimate(content, entry.filename, allow_csv=courseware))
    if courseware:
        summary = lists.import_courseware(
            user, content, entry.filename, clean_rows=entry.clean_rows, progress=progress
        )
        name = "网络课件学习记录"
    else:
        summary = lists.import_list(
            user, entry.plan, content, entry.filename, clean_rows=entry.clean_rows,
            progress=progress,
        )  # fmt: skip
        name = f"合格人员名单-{entry.plan.filing_no or entry.plan.id}"
    job.summary = summary.as_json()
    job.done = job.total
    caption = f"{entry.kind.label}“{entry.filename}”的接收结果（导入任务 #{job.id}）"
    jobs.save_result(
        job,
        lists.outcome_workbook(summary, courseware=courseware, caption=caption),
        f"{name}-接收结果-{job.id}.xlsx",
    )
    if lists.not_taken(summary):
        stored = f"{job.id}-{secrets.token_hex(8)}-unmatched.xlsx"
        data = lists.unmatched_workbook(summary, None if courseware else entry.plan)
        jobs.save_file(stored, data)
        entry.unmatched_file = stored
    return _line(summary, courseware)


def _line(summary: lists.Summary, courseware: bool) -> str:
    unit = "条" if courseware else "人"
    if not summary.imported:
        return (
            f"共{summary.rows}行，其中{len({e.row for e in summary.errors})}行有错误，"
            "未导入任何行：请按下方错误修改后重新上传，或勾选“有错误时只导入无误的行”。"
        )
    line = (
        f"已导入：共{summary.rows}行，报送{summary.matched}{unit}，未匹配{summary.unmatched}{unit}，"
        f"未加入{summary.not_attached}{unit}，此前已导入{summary.unchanged}{unit}"
    )
    if summary.errors:
        line += f"；{len({e.row for e in summary.errors})}行有错误，未导入"
    return line + "。"


@huey.task()
def import_task(job_id: int) -> None:
    jobs.run(job_id, import_work)


# --- who sees an import ----------------------------------------------------------------------


def can_see(user: User, entry: ProviderImport) -> bool:
    """A plan's list: whoever may report it (its organiser, the bureau). Courseware: the
    provider it was imported for, and the bureau."""
    if user.role is Role.BUREAU_OFFICER:
        return True
    if entry.kind is ImportKind.LIST:
        return entry.plan is not None and service.owns(user, entry.plan)
    return (
        user.role is Role.PROVIDER
        and entry.provider_id is not None
        and entry.provider_id == user.provider_id
    )


def get_import(user: User, import_id: int) -> ProviderImport:
    entry = db.session.get(ProviderImport, import_id)
    if entry is None or not can_see(user, entry):
        raise not_found("您要找的导入记录不存在或您无权查看。")
    return entry


def imports_of_plan(plan: TrainingPlan, limit: int = 20) -> list[ProviderImport]:
    return _recent(sa.select(ProviderImport).where(ProviderImport.plan_id == plan.id), limit)


def courseware_imports(user: User, limit: int = 20) -> list[ProviderImport]:
    """The recent courseware imports the user may see: its provider's, or all (the bureau)."""
    query = sa.select(ProviderImport).where(ProviderImport.kind == ImportKind.COURSEWARE)
    if user.role is not Role.BUREAU_OFFICER:
        query = query.where(ProviderImport.provider_id == user.provider_id)
    return _recent(query, limit)


def _recent(query, limit: int) -> list[ProviderImport]:
    query = query.options(joinedload(ProviderImport.job), joinedload(ProviderImport.created_by))
    return list(db.session.scalars(query.order_by(ProviderImport.id.desc()).limit(limit)))
