"""Fixtures of the declaration tests: a logged-in professional with a draft, claims, files."""

import io
import os
import uuid

import pytest
from PIL import Image

from portal import rules
from portal.declarations import duplicates, service
from portal.declarations.models import Claim, Declaration, DeclarationStatus, Evidence
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.hostile import plain_pdf

YEAR = service.current_year()


def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


PDF_BYTES = plain_pdf()  # a real one-page PDF: an unparsable one is refused


@pytest.fixture
def make_declaration(ctx, make_professional):
    """A declaration with claims (dicts: kind, facts, subject, details), evaluated and stored.

    evidence=True gives each claim one small PDF (file written under UPLOAD_FOLDER).
    """

    def make(
        person=None,
        year=YEAR,
        status=DeclarationStatus.DRAFT,
        rule_set=None,
        claims=(),
        evidence=False,
        **kwargs,
    ):
        person = person or make_professional()
        rule_set_id = rule_set or rules.rule_set_for_year(year).id
        spec = rules.get_rule_set(rule_set_id)
        declaration = Declaration(
            professional=person, year=year, rule_set=rule_set_id, status=status, **kwargs
        )
        db.session.add(declaration)
        for position, data in enumerate(claims, start=1):
            kind = spec.kind(data["kind"])
            result = rules.evaluate_claim(
                spec,
                rules.Claim(data["kind"], data.get("facts", {}), data.get("subject")),
                year=year,
            )
            details = dict(data.get("details", {}))
            claim = Claim(
                declaration=declaration,
                position=position,
                kind=data["kind"],
                subject=result.subject,
                facts=dict(result.facts),
                details=details,
                identity=duplicates.identity_of(kind, details),
                title_key=duplicates.title_key_of(kind, details),
                hours=result.hours,
                full_year=result.full_year,
                clause=result.clause,
                decision=data.get("decision"),
            )
            db.session.add(claim)
            if evidence:
                add_file(claim, PDF_BYTES + uuid.uuid4().bytes)
        db.session.commit()
        return declaration

    return make


def add_file(claim, content=PDF_BYTES, name="证明.pdf", content_type="application/pdf"):
    import hashlib

    from flask import current_app

    stored = uuid.uuid4().hex + {"application/pdf": ".pdf", "image/png": ".png"}[content_type]
    with open(os.path.join(current_app.config["UPLOAD_FOLDER"], stored), "wb") as handle:
        handle.write(content)
    item = Evidence(
        claim=claim,
        original_name=name,
        stored_name=stored,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    db.session.add(item)
    return item


@pytest.fixture
def person(make_professional, make_unit):
    # 老人老办法 (seed 003): may elect hefei-2021 during the transition, as the tests do.
    return make_professional(unit=make_unit(), keeps_old_rules=True)


@pytest.fixture
def logged_in(client, person):
    """The client logged in as `person` (a confirmed professional)."""
    response = client.post("/login", data={"username": person.user.username, "password": PASSWORD})
    assert response.status_code == 303
    return client
