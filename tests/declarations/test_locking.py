"""After submission the server refuses every change to claims, whatever the path (004 第二十一条3)."""

import io
import os

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.declarations import service
from portal.declarations.models import Claim, Declaration, DeclarationStatus, Evidence
from portal.extensions import db
from portal.refusal import Refusal
from tests.declarations.conftest import PDF_BYTES, YEAR

CLAIMS = (
    {"kind": "training", "facts": {"days": 3}, "subject": "professional"},
    {"kind": "courseware", "facts": {"hours": 10}, "subject": "general"},
)
LOCKED = [s for s in DeclarationStatus if s is not DeclarationStatus.DRAFT]


def snapshot(app):
    with app.app_context():
        claims = db.session.scalars(sa.select(Claim).order_by(Claim.id)).all()
        files = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
        declaration = db.session.scalar(sa.select(Declaration))
        folder = app.config["UPLOAD_FOLDER"]
        return (
            declaration.status,
            declaration.rule_set,
            [(c.id, c.kind, c.subject, c.facts, c.details, c.hours) for c in claims],
            [(e.id, e.sha256, os.path.exists(os.path.join(folder, e.stored_name))) for e in files],
        )


def routes(year, claim_id, evidence_id):
    """Every changing request a person could send, by form, htmx or by hand."""
    form = {"days": "9", "subject": "professional", "title": "改", "date": f"{year}-01-01"}
    upload = {"file": (io.BytesIO(PDF_BYTES), "新材料.pdf")}
    return [
        ("add claim", f"/declarations/{year}/claims/new?kind=training", form),
        ("edit claim", f"/declarations/{year}/claims/{claim_id}", form),
        ("delete claim", f"/declarations/{year}/claims/{claim_id}/delete", {}),
        (
            "change subject",
            f"/declarations/{year}/claims/{claim_id}/subject",
            {"subject": "general"},
        ),
        ("delete evidence", f"/declarations/{year}/evidence/{evidence_id}/delete", {}),
        ("switch rule set", f"/declarations/{year}/rule-set", {"rule_set": "hefei-2021"}),
        ("submit again", f"/declarations/{year}/submit", {}),
        ("upload", f"/declarations/{year}/claims/{claim_id}/evidence", upload),
    ]


@pytest.mark.parametrize("status", LOCKED, ids=[s.value for s in LOCKED])
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_every_route_refuses_changes_after_submission(
    client, app, person, make_declaration, status, htmx
):
    declaration = make_declaration(person, status=status, claims=CLAIMS, evidence=True)
    claim_id = declaration.claims[0].id
    evidence_id = declaration.claims[0].evidence[0].id
    client.post("/login", data={"username": person.user.username, "password": "Passw0rd!"})
    before = snapshot(app)
    headers = {"HX-Request": "true"} if htmx else {}
    for name, url, data in routes(YEAR, claim_id, evidence_id):
        if name == "upload" and status is DeclarationStatus.NEEDS_EVIDENCE:
            continue  # the one thing allowed then; tested below
        response = client.post(url, data=data, headers=headers, content_type="multipart/form-data")
        assert response.status_code == 409, (name, response.status_code)
        assert "不" in response.text  # a Chinese refusal, not a trace
    assert snapshot(app) == before
    with app.app_context():
        refused = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.outcome == "refused")
        ).all()
    assert "claim.delete" in refused and "claim.add" in refused


def test_service_refuses_changes_after_submission(app, person, make_declaration):
    declaration = make_declaration(
        person, status=DeclarationStatus.SUBMITTED, claims=CLAIMS, evidence=True
    )
    user = person.user
    claim = declaration.claims[0]
    attempts = [
        lambda: service.add_claim(user, declaration, "lecture", {}, {}, "professional"),
        lambda: service.update_claim(user, claim, {"days": 9}, {}, "professional"),
        lambda: service.delete_claim(user, claim),
        lambda: service.change_subject(user, claim, "general"),
        lambda: service.delete_evidence(user, claim.evidence[0]),
        lambda: service.switch_rule_set(user, declaration, "hefei-2021"),
        lambda: service.submit(user, declaration),
        lambda: service.add_evidence(user, claim, None),
    ]
    for attempt in attempts:
        with pytest.raises(Refusal) as caught:
            attempt()
        assert caught.value.status == 409
    db.session.rollback()
    assert len(db.session.get(Declaration, declaration.id).claims) == 2


def test_edit_pages_of_a_submitted_declaration_are_read_only(logged_in, person, make_declaration):
    declaration = make_declaration(
        person,
        status=DeclarationStatus.SUBMITTED,
        claims=CLAIMS,
        evidence=True,
        review_note="",
    )
    page = logged_in.get(f"/declarations/{YEAR}")
    assert page.status_code == 200
    assert "申报提交后不予修改、撤销" in page.text
    for marker in ("添加申报条目", "提交申报…", 'type="file"', ">删除<", ">修改<"):
        assert marker not in page.text
    claim_id = declaration.claims[0].id
    assert logged_in.get(f"/declarations/{YEAR}/claims/{claim_id}").status_code == 303
    assert logged_in.get(f"/declarations/{YEAR}/claims/new?kind=training").status_code == 303


def test_needs_evidence_allows_only_adding_files_then_resubmit(
    logged_in, app, person, make_declaration
):
    declaration = make_declaration(
        person,
        status=DeclarationStatus.NEEDS_EVIDENCE,
        claims=CLAIMS,
        evidence=True,
        review_note="请补充培训结业证书原件扫描件",
    )
    claim_id = declaration.claims[0].id
    page = logged_in.get(f"/declarations/{YEAR}")
    assert "请补充培训结业证书原件扫描件" in page.text and 'type="file"' in page.text
    assert ">修改<" not in page.text and "添加申报条目" not in page.text
    assert logged_in.post(f"/declarations/{YEAR}/resubmit").status_code == 409  # nothing added
    response = logged_in.post(
        f"/declarations/{YEAR}/claims/{claim_id}/evidence",
        data={"file": (io.BytesIO(PDF_BYTES + b"more"), "补充.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        added = db.session.scalar(sa.select(Evidence).where(Evidence.after_submission))
        assert added.original_name == "补充.pdf"
    assert logged_in.post(f"/declarations/{YEAR}/resubmit").status_code == 303
    with app.app_context():
        assert db.session.get(Declaration, declaration.id).status is DeclarationStatus.SUBMITTED
    # and then nothing more may be added
    response = logged_in.post(
        f"/declarations/{YEAR}/claims/{claim_id}/evidence",
        data={"file": (io.BytesIO(PDF_BYTES + b"again"), "再补充.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409


def test_another_persons_declaration_is_not_found(
    client, person, make_professional, make_declaration
):
    other = make_professional()
    declaration = make_declaration(other, claims=CLAIMS, evidence=True)
    claim_id = declaration.claims[0].id
    client.post("/login", data={"username": person.user.username, "password": "Passw0rd!"})
    # `person` has no declaration of the year: the page offers to open one, never the other's;
    # every other route is 404, even with the other's ids
    response = client.get(f"/declarations/{YEAR}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/declarations/")
    assert client.post(f"/declarations/{YEAR}/claims/{claim_id}/delete").status_code == 404
    client.post("/declarations/open", data={"year": YEAR})
    assert client.post(f"/declarations/{YEAR}/claims/{claim_id}/delete").status_code == 404
    assert client.get(f"/declarations/{YEAR}/claims/{claim_id}").status_code == 404


def test_staff_cannot_use_the_professional_pages(client, make_user):
    from portal.accounts.models import Role

    officer = make_user(Role.BUREAU_OFFICER)
    client.post("/login", data={"username": officer.username, "password": "Passw0rd!"})
    assert client.get("/declarations/").status_code == 403
    assert client.post("/declarations/open", data={"year": YEAR}).status_code == 403


def test_rule_set_switch_only_on_an_empty_draft(logged_in, app, person, make_declaration):
    logged_in.post("/declarations/open", data={"year": YEAR})
    page = logged_in.get(f"/declarations/{YEAR}")
    assert "过渡期内可选择" in page.text
    assert (
        logged_in.post(
            f"/declarations/{YEAR}/rule-set", data={"rule_set": "hefei-2021"}
        ).status_code
        == 303
    )
    with app.app_context():
        assert db.session.scalar(sa.select(Declaration.rule_set)) == "hefei-2021"
    logged_in.post(
        f"/declarations/{YEAR}/claims/new?kind=public_course",
        data={"courses": "1", "title": "公需课", "date": f"{YEAR}-01-01"},
    )
    assert "过渡期内可选择" not in logged_in.get(f"/declarations/{YEAR}").text
    response = logged_in.post(f"/declarations/{YEAR}/rule-set", data={"rule_set": "anhui-2025"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(Declaration.rule_set)) == "hefei-2021"


def test_transition_choice_off_when_the_bureau_says_so(logged_in, app):
    app.config["ALLOW_TRANSITION_RULE_SET"] = False
    assert "<select" not in logged_in.get("/declarations/").text
    response = logged_in.post("/declarations/open", data={"year": YEAR, "rule_set": "hefei-2021"})
    assert response.status_code == 422
    logged_in.post("/declarations/open", data={"year": YEAR})
    assert "过渡期内可选择" not in logged_in.get(f"/declarations/{YEAR}").text


def test_old_years_cannot_be_opened(logged_in):
    assert logged_in.post("/declarations/open", data={"year": YEAR - 2}).status_code == 422
