"""Bulk printing in a background job: a unit's registered people of a year as one PDF; each
certificate keeps its number and gets its own verification code, as a single print would."""

from io import BytesIO

import sqlalchemy as sa
from pypdf import PdfReader

from portal.accounts.models import Role
from portal.certificates import service
from portal.certificates.models import CertificatePrint
from portal.extensions import db
from portal.jobs.models import Job, JobState


def test_unit_bulk_print(
    client, auth, make_unit, make_user, make_professional, make_registered_declaration
):
    unit = make_unit(name="第一中学")
    other = make_unit(name="第二中学")
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    people = [make_professional(unit=unit, name=f"人员{i}") for i in range(3)]
    for person in people:
        make_registered_declaration(person, 2025)
    make_professional(unit=unit, name="未登记")  # nothing registered: not printed
    outsider = make_professional(unit=other, name="外单位")
    make_registered_declaration(outsider, 2025)
    earlier = service.ensure_certificate(people[0])  # printed before: keeps its number
    db.session.commit()
    number = earlier.number

    auth.login(reviewer)
    assert "第二中学" not in client.get("/certificates/bulk").text
    response = client.post("/certificates/bulk", data={"unit": unit.id, "year": 2025})
    assert response.status_code == 303
    job_page = client.get(response.headers["Location"])
    assert "已完成" in job_page.text and "已打印 3 份" in job_page.text
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    assert job.state is JobState.DONE and (job.done, job.total) == (3, 3)
    pdf = client.get(f"/jobs/{job.id}/result")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    reader = PdfReader(BytesIO(pdf.data))
    assert len(reader.pages) >= 3
    text = "".join(page.extract_text() for page in reader.pages)
    prints = db.session.scalars(sa.select(CertificatePrint).order_by(CertificatePrint.id)).all()
    assert len(prints) == 3 and len({p.code for p in prints}) == 3
    assert number in {p.certificate.number for p in prints}
    for printed in prints:
        assert printed.certificate.number in text
        # the QR code and the verification page know each copy, as for a single print
        assert client.get(f"/verify/{printed.code}").status_code == 200
    assert "外单位" not in {p.content["name"] for p in prints}


def test_another_units_people_are_refused(client, auth, make_unit, make_user):
    unit, other = make_unit(), make_unit()
    reviewer = make_user(Role.UNIT_REVIEWER, unit=unit)
    auth.login(reviewer)
    response = client.post("/certificates/bulk", data={"unit": other.id, "year": 2025})
    assert response.status_code == 422  # not among the choices
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_nothing_to_print_is_said_on_the_form(client, auth, make_unit, make_user):
    unit = make_unit(name="空单位")
    officer = make_user(Role.BUREAU_OFFICER)
    auth.login(officer)
    response = client.post("/certificates/bulk", data={"unit": unit.id, "year": 2025})
    assert response.status_code == 422
    assert "空单位没有2025年度已登记的人员" in response.text
