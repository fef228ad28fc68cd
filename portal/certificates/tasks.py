"""Bulk printing: a unit's registered people of a year as one PDF, in a background job."""

from io import BytesIO

from flask import current_app
from pypdf import PdfWriter

from portal.accounts.models import User
from portal.certificates import service
from portal.certificates.fonts import certificate_font
from portal.extensions import db
from portal.jobs import service as jobs
from portal.jobs.queue import huey
from portal.units.models import Unit

KIND = "certificates.bulk_print"


def submit_bulk_print(user: User, unit: Unit, year: int, base_url: str):
    """Queue the job (after checking the right and that there is something to print)."""
    people = service.bulk_print_people(user, unit.id, year)
    if not people:
        from portal.refusal import CONFLICT, Refusal

        raise Refusal(f"{unit.name}没有{year}年度已登记的人员，无证书可打印。", CONFLICT)
    return jobs.submit(
        user,
        KIND,
        f"批量打印证书：{unit.name} {year}年度",
        bulk_print_task,
        unit_id=unit.id,
        year=year,
        base_url=base_url,
    )


def bulk_print(job, progress) -> str:
    """Print each person's certificate (numbered, a new verification code, audited, committed
    one by one) and join the PDFs; the QR codes point at the address the request came from."""
    user = db.session.get(User, job.created_by_id)
    unit = db.session.get(Unit, job.params["unit_id"])
    year = job.params["year"]
    font = certificate_font()
    with current_app.test_request_context(base_url=job.params.get("base_url") or None):
        people = service.bulk_print_people(user, unit.id, year)
        progress(0, len(people))
        writer = PdfWriter()
        for done, person in enumerate(people, 1):
            printed = service.print_for_unit(user, person)
            writer.append(BytesIO(service.certificate_pdf(printed, font)))
            progress(done)
    out = BytesIO()
    writer.write(out)
    jobs.save_result(job, out.getvalue(), f"学时登记证书-{unit.name}-{year}年度.pdf")
    return f"已打印 {len(people)} 份学时登记证书（{unit.name}，{year}年度）"


@huey.task()
def bulk_print_task(job_id: int) -> None:
    jobs.run(job_id, bulk_print)


def recent_bulk_jobs(user: User, limit: int = 10) -> list:
    from portal.jobs.models import Job

    return list(
        db.session.scalars(
            db.select(Job)
            .where(Job.kind == KIND, Job.created_by_id == user.id)
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )
