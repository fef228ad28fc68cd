"""A long bulk print draws its PDFs in a pool of processes (one a core): the same document, in
the same order, as the job's own process draws for a short list."""

from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.accounts.models import Role
from portal.certificates import tasks
from portal.certificates.models import CertificatePrint
from portal.extensions import db
from portal.jobs.models import Job, JobState


@pytest.mark.parametrize("pool_from", [1, 1000])
def test_bulk_print_in_a_pool_or_not(
    monkeypatch,
    client,
    auth,
    make_unit,
    make_user,
    make_professional,
    make_registered_declaration,
    pool_from,
):
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: 2)  # a pool even on a one-core runner
    monkeypatch.setattr(tasks, "POOL_FROM", pool_from)
    unit = make_unit(name="第一中学")
    for i in range(5):
        make_registered_declaration(make_professional(unit=unit, name=f"人员{i}"), 2025)
    auth.login(make_user(Role.UNIT_REVIEWER, unit=unit))
    response = client.post("/certificates/bulk", data={"unit": unit.id, "year": 2025})
    assert response.status_code == 303
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    assert job.state is JobState.DONE, job.message
    assert (job.done, job.total) == (5, 5)
    reader = PdfReader(BytesIO(client.get(f"/jobs/{job.id}/result").data))
    texts = [page.extract_text() for page in reader.pages]
    prints = db.session.scalars(sa.select(CertificatePrint).order_by(CertificatePrint.id)).all()
    assert len(prints) == 5
    # one certificate a person, in the list's (name) order, each with its own number
    names = [p.content["name"] for p in prints]
    assert names == sorted(names)
    where = [next(i for i, t in enumerate(texts) if p.certificate.number in t) for p in prints]
    assert where == sorted(where) and len(set(where)) == 5
    # one bookmark a person, on the first page of their certificate, in the same order
    bookmarks = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert bookmarks == [
        (f"{p.content['name']}（{p.certificate.number}）", i)
        for p, i in zip(prints, where, strict=True)
    ]
    assert "第一中学" in reader.metadata.title
