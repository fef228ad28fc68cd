"""One-time form tokens on the professional's create forms (open a year, add a claim, upload
evidence): sent twice with the same token (the first answer lost), saved once and answered as the
first; expired, forged and foreign tokens refused; records purged once expired."""

import io
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from portal.audit.models import AuditEvent
from portal.declarations.models import Claim, Declaration, Evidence
from portal.extensions import db
from portal.formtokens import service as formtokens
from portal.formtokens.models import FormToken
from tests.conftest import PASSWORD
from tests.declarations.conftest import PDF_BYTES, YEAR

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
HTMX = {"HX-Request": "true", "HX-Boosted": "true"}  # a boosted form, as the pages send it

TRAINING = {
    "days": "3",
    "half_days": "1",
    "subject": "professional",
    "title": "中小学教师专业能力提升培训",
    "date": f"{YEAR}-01-01",
    "issuer": "示范县教育局",
}


def token_in(page, after: str = "") -> str:
    """The form_token of the first form on the page (after the text `after`)."""
    text = page.get_data(as_text=True)
    match = TOKEN.search(text, text.index(after) if after else 0)
    assert match, "the form carries no form_token"
    return match.group(1)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def professional(client, ctx, person, make_declaration):
    client.post("/login", data={"username": person.user.username, "password": PASSWORD})
    return client


def test_opening_a_year_twice_opens_one_declaration(professional):
    token = token_in(professional.get("/declarations/"), f'value="{YEAR}"')
    data = {"year": str(YEAR), "form_token": token}
    first = professional.post("/declarations/open", data=data)
    again = professional.post("/declarations/open", data=data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count(Declaration) == 1
    assert "此表单此前已提交成功，未重复保存" in professional.get(again.headers["Location"]).text


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_claim_sent_twice_is_added_once(professional, person, make_declaration, headers):
    make_declaration(person)
    url = f"/declarations/{YEAR}/claims/new?kind=training"
    data = {**TRAINING, "form_token": token_in(professional.get(url))}
    first = professional.post(url, data=data, headers=headers)
    again = professional.post(url, data=data, headers=headers)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]  # …/2026#claim-<id>
    assert first.headers["Location"].endswith(f"#claim-{db.session.scalar(sa.select(Claim.id))}")
    assert count(Claim) == 1
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent)).all()].count(
        "claim.add"
    ) == 1
    # A new form (a new token) adds the next claim as before.
    data["form_token"] = token_in(professional.get(url))
    assert professional.post(url, data=data).status_code == 303
    assert count(Claim) == 2


def test_a_refused_claim_may_be_corrected_and_sent_with_the_same_token(
    professional, person, make_declaration
):
    make_declaration(person)
    url = f"/declarations/{YEAR}/claims/new?kind=training"
    token = token_in(professional.get(url))
    wrong = professional.post(url, data={**TRAINING, "days": "", "form_token": token})
    assert wrong.status_code == 422 and count(Claim) == 0
    assert professional.post(url, data={**TRAINING, "form_token": token}).status_code == 303
    assert count(Claim) == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_evidence_sent_twice_is_stored_once(professional, person, make_declaration, app, headers):
    declaration = make_declaration(
        person, claims=({"kind": "training", "facts": {"days": 3}, "subject": "professional"},)
    )
    claim = declaration.claims[0]
    token = token_in(professional.get(f"/declarations/{YEAR}"), "upload-form")
    url = f"/declarations/{YEAR}/claims/{claim.id}/evidence"

    def send():
        return professional.post(
            url,
            data={"file": (io.BytesIO(PDF_BYTES), "结业证书.pdf"), "form_token": token},
            content_type="multipart/form-data",
            headers=headers,
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count(Evidence) == 1
    assert len(os.listdir(app.config["UPLOAD_FOLDER"])) == 1


def _old_token(app, user, hours):
    """A token issued `hours` ago (the signer's clock turned back while it is signed)."""
    then = int((datetime.now(UTC) - timedelta(hours=hours)).timestamp())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: then)
        serializer = URLSafeTimedSerializer(app.secret_key, salt=formtokens._SALT)
        return serializer.dumps({"n": f"nonce-{hours}", "u": user.id})


def test_an_expired_token_is_refused_and_nothing_created(
    app, professional, person, make_declaration
):
    make_declaration(person)
    url = f"/declarations/{YEAR}/claims/new?kind=training"
    response = professional.post(
        url, data={**TRAINING, "form_token": _old_token(app, person.user, 25)}
    )
    assert response.status_code == 422
    assert "此表单打开已超过24小时" in response.text and "请刷新页面后重新填写" in response.text
    assert count(Claim) == 0
    fresh = _old_token(app, person.user, 23)
    assert professional.post(url, data={**TRAINING, "form_token": fresh}).status_code == 303


@pytest.mark.parametrize("kind", ["forged", "another user's"])
def test_a_forged_or_foreign_token_is_refused(app, professional, person, make_declaration,
                                               make_professional, kind):  # fmt: skip
    make_declaration(person)
    with app.test_request_context():
        other = make_professional().user
        token = formtokens.issue(other) if kind != "forged" else "eyJuIjoieCJ9.forged.sig"
    url = f"/declarations/{YEAR}/claims/new?kind=training"
    response = professional.post(url, data={**TRAINING, "form_token": token})
    assert response.status_code == 422 and "此表单已失效" in response.text
    assert count(Claim) == 0


def test_records_are_purged_once_expired(app, professional, person, make_declaration):
    make_declaration(person)
    db.session.add(
        FormToken(
            nonce="stale",
            user_id=person.user.id,
            endpoint="declarations.new_claim",
            created_at=datetime.now(UTC) - timedelta(hours=25),
        )
    )
    db.session.commit()
    url = f"/declarations/{YEAR}/claims/new?kind=training"
    professional.post(url, data={**TRAINING, "form_token": token_in(professional.get(url))})
    db.session.expire_all()
    assert db.session.scalars(sa.select(FormToken.nonce)).all() != ["stale"]
    assert db.session.get(FormToken, "stale") is None and count(FormToken) == 1
