"""Export and import as background jobs (the page's way; the CLI runs the same service)."""

from portal.accounts.models import User
from portal.exchange import service
from portal.extensions import db
from portal.jobs import service as jobs
from portal.jobs.queue import huey
from portal.jurisdictions import service as jurisdictions

EXPORT_KIND, IMPORT_KIND = "exchange.export", "exchange.import"


def submit_export(user: User, year: int, fmt: str):
    """The officer's export: their county's years, a city officer's the city's counties'."""
    code = user.jurisdiction_code
    place = "" if jurisdictions.is_single_county() else jurisdictions.get(code).name
    title = f"导出{place}{year}年度登记数据（{fmt}）"
    return jobs.submit(user, EXPORT_KIND, title, export_task, year=year, fmt=fmt, jurisdiction=code)


def export_work(job, progress) -> str:
    user = db.session.get(User, job.created_by_id)
    year, fmt = job.params["year"], job.params["fmt"]
    data = service.export_year(
        year, fmt, user=user, progress=progress, jurisdiction=job.params.get("jurisdiction")
    )
    jobs.save_result(job, data, f"继续教育登记-{year}年度.{fmt}")
    return f"已导出{year}年度登记记录 {job.total} 条"


@huey.task()
def export_task(job_id: int) -> None:
    jobs.run(job_id, export_work)


def submit_import(user: User, data: bytes, filename: str, clean_rows: bool = False):
    service.check_roster_upload(data)
    stored = jobs.store_upload(data, ".xlsx")
    return jobs.submit(
        user,
        IMPORT_KIND,
        f"导入人员名单：{filename[:100]}",
        import_task,
        upload=stored,
        clean_rows=clean_rows,
    )


def import_work(job, progress) -> str:
    user = db.session.get(User, job.created_by_id)
    # all or nothing: the people written are committed with the job's end, and with the
    # import's audit event (a consumer killed half-way leaves nobody half-imported)
    summary = service.import_people(
        jobs.read_upload(job),
        user=user,
        progress=progress.holding(),
        clean_rows=bool(job.params.get("clean_rows")),
    )
    job.summary = summary.as_json()
    return summary.line()


@huey.task()
def import_task(job_id: int) -> None:
    jobs.run(job_id, import_work)
