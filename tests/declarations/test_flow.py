"""The declaration page end to end through the test client."""

import io

import sqlalchemy as sa

from portal.accounts.models import PersonStatus
from portal.audit.models import AuditEvent
from portal.declarations.models import (
    Claim,
    Declaration,
    DeclarationStatus,
    Evidence,
    ReviewingBody,
)
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.declarations.conftest import PDF_BYTES, YEAR, png_bytes


def _open(client, year=YEAR, **extra):
    return client.post("/declarations/open", data={"year": year, **extra})


def test_index_lists_openable_years(logged_in):
    page = logged_in.get("/declarations/")
    assert page.status_code == 200
    assert f"填写{YEAR}年度申报" in page.text
    assert f"填写{YEAR - 1}年度申报" in page.text
    assert f"填写{YEAR - 2}年度申报" not in page.text


def test_open_add_training_and_courseware(logged_in, app):
    response = _open(logged_in)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/declarations/{YEAR}")
    picker = logged_in.get(f"/declarations/{YEAR}/claims/new")
    assert "培训、研修或进修" in picker.text and "网络课件学习" in picker.text
    form = logged_in.get(f"/declarations/{YEAR}/claims/new?kind=training")
    assert form.status_code == 200 and "培训整天数" in form.text
    response = logged_in.post(
        f"/declarations/{YEAR}/claims/new?kind=training",
        data={
            "days": "3",
            "half_days": "1",
            "subject": "professional",
            "title": "中小学教师专业能力提升培训",
            "date": f"{YEAR}-01-01",
            "issuer": "示范县教育局",
        },
    )
    assert response.status_code == 303, response.text
    response = logged_in.post(
        f"/declarations/{YEAR}/claims/new?kind=courseware",
        data={"hours": "12", "subject": "general", "title": "法治讲座", "date": f"{YEAR}-01-01"},
    )
    assert response.status_code == 303, response.text
    page = logged_in.get(f"/declarations/{YEAR}")
    assert page.status_code == 200
    assert "21" in page.text and "还差" in page.text
    with app.app_context():
        claims = db.session.scalars(sa.select(Claim).order_by(Claim.position)).all()
        assert [(c.kind, c.hours, c.subject) for c in claims] == [
            ("training", 21, "professional"),
            ("courseware", 12, "general"),
        ]


def test_submit_needs_evidence_then_locks(logged_in, app):
    _open(logged_in)
    logged_in.post(
        f"/declarations/{YEAR}/claims/new?kind=courseware",
        data={"hours": "12", "subject": "general", "title": "法治讲座", "date": f"{YEAR}-01-01"},
    )
    with app.app_context():
        claim_id = db.session.scalar(sa.select(Claim.id))
    confirm = logged_in.get(f"/declarations/{YEAR}/submit")
    assert "申报提交后不予修改、撤销" in confirm.text
    assert "还没有上传证明材料" in confirm.text
    refused = logged_in.post(f"/declarations/{YEAR}/submit")
    assert refused.status_code == 409
    upload = logged_in.post(
        f"/declarations/{YEAR}/claims/{claim_id}/evidence",
        data={"file": (io.BytesIO(PDF_BYTES), "结业证书.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303, upload.text
    done = logged_in.post(f"/declarations/{YEAR}/submit")
    assert done.status_code == 303
    page = logged_in.get(f"/declarations/{YEAR}")
    assert "待核验" in page.text and "添加申报条目" not in page.text
    with app.app_context():
        declaration = db.session.scalar(sa.select(Declaration))
        assert declaration.status is DeclarationStatus.SUBMITTED
        assert declaration.submitted_at is not None
        # The unit and reviewing body it was made under are recorded at submission.
        assert declaration.unit_id == declaration.professional.unit_id is not None
        assert declaration.reviewing_body is ReviewingBody.UNIT
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert "declaration.submit" in actions and "evidence.add" in actions


def test_unconfirmed_person_may_draft_but_not_submit(client, make_professional, app):
    person = make_professional(status=PersonStatus.PENDING)
    client.post("/login", data={"username": person.user.username, "password": PASSWORD})
    assert "确认后才能提交" in client.get("/declarations/").text
    _open(client)
    client.post(
        f"/declarations/{YEAR}/claims/new?kind=courseware",
        data={"hours": "2", "subject": "general", "title": "课", "date": f"{YEAR}-01-01"},
    )
    with app.app_context():
        claim_id = db.session.scalar(sa.select(Claim.id))
    client.post(
        f"/declarations/{YEAR}/claims/{claim_id}/evidence",
        data={"file": (io.BytesIO(png_bytes()), "截图.png")},
        content_type="multipart/form-data",
    )
    confirm = client.get(f"/declarations/{YEAR}/submit")
    assert "尚未经所在单位确认" in confirm.text
    response = client.post(f"/declarations/{YEAR}/submit")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(Declaration.status)) is DeclarationStatus.DRAFT
        assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 1


def test_htmx_subject_change_and_delete_return_fresh_totals(logged_in, person, make_declaration):
    declaration = make_declaration(
        person,
        claims=(
            {"kind": "training", "facts": {"days": 3}, "subject": "professional"},
            {"kind": "patent.invention", "facts": {"rank": 1}, "subject": "professional"},
        ),
    )
    training, patent = declaration.claims
    htmx = {"HX-Request": "true"}
    page = logged_in.get(f"/declarations/{YEAR}")
    assert "就高原则" in page.text  # the training is marked as not counted, with the reason
    assert "50 / 60 学时" in page.text
    moved = logged_in.post(
        f"/declarations/{YEAR}/claims/{patent.id}/subject",
        data={"subject": "general"},
        headers=htmx,
    )
    assert moved.status_code == 200 and "<html" not in moved.text
    assert 'id="declaration-body"' in moved.text and "0 / 60 学时" in moved.text
    assert "还差 60 专业科目学时" in moved.text
    deleted = logged_in.post(f"/declarations/{YEAR}/claims/{patent.id}/delete", headers=htmx)
    assert deleted.status_code == 200 and "18 / 60 学时" in deleted.text
    assert 'id="totals"' in deleted.text and "18 / 90 学时" in deleted.text
    # without JavaScript the same routes redirect back to the page
    assert logged_in.post(f"/declarations/{YEAR}/claims/{training.id}/delete").status_code == 303


def test_boosted_navigation_gets_the_whole_page(logged_in, person, make_declaration):
    make_declaration(person)
    page = logged_in.get(
        f"/declarations/{YEAR}", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in page.text


def test_the_measure_is_cited_by_its_name(logged_in, make_declaration, person):
    make_declaration(person=person, claims=[{"kind": "lecture", "subject": "professional"}])
    for url in (f"/declarations/{YEAR}", f"/declarations/{YEAR}/submit"):
        page = logged_in.get(url).text
        assert "《安徽省专业技术人员继续教育学时管理办法》（皖人社秘〔2025〕109号）" in page
        assert "认定与登记管理办法" not in page
