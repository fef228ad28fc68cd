"""Issue 23.4: unconfirmed accounts cannot fill the disk. An unconfirmed person uploads at most
EVIDENCE_QUOTA_UNCONFIRMED_BYTES until the unit confirms; every person has a total quota over
all years; the bureau sees the largest users."""

import io

import pytest

from portal.accounts.models import PersonStatus, Role
from tests.conftest import logged_in as login
from tests.declarations.conftest import PDF_BYTES, YEAR

CLAIMS = ({"kind": "training", "facts": {"days": 3}, "subject": "professional"},)


def upload(client, claim, content, name="证书.pdf"):
    return client.post(
        f"/declarations/{claim.declaration.year}/claims/{claim.id}/evidence",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _pdf(size: int) -> bytes:
    return PDF_BYTES + b"%" + b"x" * (size - len(PDF_BYTES) - 2) + b"\n"


@pytest.mark.parametrize("status", [PersonStatus.PENDING, PersonStatus.CONFIRMED])
def test_the_quota_of_a_person(app, make_professional, make_declaration, status):
    app.config["EVIDENCE_QUOTA_UNCONFIRMED_BYTES"] = 5000
    app.config["EVIDENCE_QUOTA_PERSON_BYTES"] = 9000
    person = make_professional(status=status)
    earlier = make_declaration(person=person, year=YEAR - 1, claims=CLAIMS)
    draft = make_declaration(person=person, claims=CLAIMS)
    client = login(app, person.user)
    # an earlier year's evidence counts too (every year, one total)
    from werkzeug.datastructures import FileStorage

    from portal.declarations import evidence, service
    from portal.extensions import db

    service._store_evidence(
        person.user, earlier.claims[0], FileStorage(io.BytesIO(_pdf(3000)), "旧.pdf"),
        after_submission=False,
    )  # fmt: skip
    db.session.commit()
    assert upload(client, draft.claims[0], _pdf(1500)).status_code == 303  # 4.5 KB in all
    response = upload(client, draft.claims[0], _pdf(1500), "再一份.pdf")  # 6 KB in all
    if status is PersonStatus.PENDING:
        assert response.status_code == 422 and "尚待单位确认" in response.text
    else:
        assert response.status_code == 303
        response = upload(client, draft.claims[0], _pdf(3500), "第三份.pdf")  # 9.5 KB
        assert response.status_code == 422 and "证明材料合计不能超过" in response.text
    assert evidence.person_bytes(person.id) <= (5000 if status is PersonStatus.PENDING else 9000)


def test_the_bureau_sees_the_largest_users(
    app, client, auth, make_user, make_professional, make_declaration
):
    from werkzeug.datastructures import FileStorage

    from portal.declarations import service
    from portal.extensions import db

    sizes = {"甲": 1200, "乙": 3000, "丙": 2000}
    for name, size in sizes.items():
        person = make_professional(name=name)
        draft = make_declaration(person=person, claims=CLAIMS)
        service._store_evidence(
            person.user, draft.claims[0], FileStorage(io.BytesIO(_pdf(size)), "a.pdf"),
            after_submission=False,
        )  # fmt: skip
    db.session.commit()
    auth.login(make_user(Role.BUREAU_OFFICER))
    page = client.get("/people/evidence-usage")
    assert page.status_code == 200
    assert page.text.index("乙") < page.text.index("丙") < page.text.index("甲")
    assert "每人证明材料合计上限" in page.text
    auth.logout()
    auth.login(make_user(Role.UNIT_REVIEWER))
    assert client.get("/people/evidence-usage").status_code == 403
