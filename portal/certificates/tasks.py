"""Bulk printing: a unit's registered people of a year as one PDF, in a background job."""

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO

from flask import current_app
from pypdf import PdfReader, PdfWriter

from portal.accounts.models import User
from portal.audit.service import record
from portal.certificates import service
from portal.certificates.fonts import certificate_font
from portal.certificates.pdf import render_certificate_pdf
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


# From this many certificates on, the PDFs are drawn by a pool of processes, one a core (the
# records are still written one by one in the job's own process).
POOL_FROM = 20
# The job's progress is recorded (a commit, with its fsync) about this many times in all.
PROGRESS_STEPS = 100
_forked: tuple | None = None  # (app, font) for the pool's processes, inherited by fork


def bulk_print(job, progress) -> str:
    """Print each person's certificate (numbered, a new verification code, audited) and join
    the PDFs, one bookmark a person; the QR codes point at the address the request came from.
    Each copy is recorded and handed to the pool (on every core for a long list), which draws
    while the next ones are recorded; the PDFs are joined in the list's order."""
    user = db.session.get(User, job.created_by_id)
    unit = db.session.get(Unit, job.params["unit_id"])
    year = job.params["year"]
    font = certificate_font()
    with current_app.test_request_context(base_url=job.params.get("base_url") or None):
        people = service.bulk_print_people(user, unit.id, year)
        progress(0, len(people))
        step = max(1, len(people) // PROGRESS_STEPS)
        writer = PdfWriter()
        writer.page_mode = "/UseOutlines"
        pages = _pages(user, people, job.id)
        for done, (context, pdf) in enumerate(_draw(pages, len(people), font), 1):
            first = len(writer.pages)
            for page in PdfReader(BytesIO(pdf)).pages:
                writer.add_page(page)
            writer.add_outline_item(
                title=f"{context['name']}（{context['number']}）", page_number=first
            )
            if done % step == 0 or done == len(people):
                progress(done)
    writer.add_metadata({"/Title": f"学时登记证书 {unit.name} {year}年度"})
    out = BytesIO()
    writer.write(out)
    jobs.save_result(job, out.getvalue(), f"学时登记证书-{unit.name}-{year}年度.pdf")
    return f"已打印 {len(people)} 份学时登记证书（{unit.name}，{year}年度）"


def _pages(user: User, people: list, job_id: int) -> Iterator[tuple[dict, str]]:
    """Record each person's copy; (what it shows, its verification URL)."""
    for person in people:
        printed = service.print_for_unit(user, person, job_id)
        yield service.pdf_context(printed), service.verification_url(printed.token)


def _draw(pages: Iterator[tuple[dict, str]], count: int, font) -> Iterator[tuple[dict, bytes]]:
    """(context, PDF) of each (context, verification URL), in order. In a pool each page is
    drawn as soon as it is recorded, so the cores do not wait for the whole list."""
    cores = os.cpu_count() or 1
    if count < POOL_FROM or cores < 2:
        for context, url in pages:
            yield context, render_certificate_pdf(context, font, url)
        return
    global _forked
    _forked = (current_app._get_current_object(), font)
    # fork: the children start with the app, the templates and the font already loaded
    pool = ProcessPoolExecutor(
        max_workers=cores, mp_context=multiprocessing.get_context("fork"), initializer=_child
    )
    try:
        drawing = deque((page[0], pool.submit(_draw_one, page)) for page in pages)
        while drawing:
            context, future = drawing.popleft()
            yield context, future.result()
    finally:
        # a failed page (or a stopped job) fails the job now, not after the rest are drawn
        pool.shutdown(cancel_futures=True)


def _child() -> None:
    """A pool process: below the web server's priority; never uses the parent's connections;
    stopped by SIGTERM/SIGINT like any process (not by the job consumer's handlers it forked
    with, which would wait for a job that is not running here)."""
    os.nice(5)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app, _font = _forked
    with app.app_context():
        db.engine.dispose(close=False)


def _draw_one(page: tuple[dict, str]) -> bytes:
    app, font = _forked
    context, url = page
    with app.app_context():
        return render_certificate_pdf(context, font, url)


@jobs.undo_on_failure(KIND)
def withdraw_unfinished(job) -> str | None:
    """A bulk print finishes or leaves no copies (issue 23.5): the copies it recorded are
    withdrawn when it fails or its consumer dies (audited)."""
    count = service.withdraw_job_prints(job.id)
    if not count:
        return None
    record("certificate.print_withdrawn", job, user=None, username="system",
           detail=f"批量打印未完成，撤销已记录的 {count} 份打印件（未生成 PDF）")  # fmt: skip
    return f"已撤销未完成的打印件 {count} 份"


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
