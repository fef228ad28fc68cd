"""The county generator (`flask --app portal demo --county N`): the rows, the certificates and
audit events it leaves, and idempotence."""

import json
import re

import sqlalchemy as sa

from portal.accounts.models import Professional, Role
from portal.admin import county
from portal.audit import service as audit
from portal.audit.models import AuditEvent
from portal.board.models import PublicityBatch
from portal.certificates.models import Certificate, CertificatePrint
from portal.declarations.models import Claim, Declaration, DeclarationStatus, ReviewingBody
from portal.extensions import db

# One event per step: submitted (all but drafts), approved (or, waiting for the city, the first
# step passed), put on the board (and each batch
# opened), registered (and the closed batch), a certificate issued and printed (registered).
EXPECTED_ACTIONS = {
    "declaration.submit": 281,
    "review.approved": 250,
    "review.professional_passed": 1,
    "publicity.added": 250,
    "publicity.batch_opened": 2,
    "publicity.registered": 20,
    "publicity.batch_closed": 1,
    "certificate.issue": 20,
    "certificate.print": 20,
}


def _statuses():
    return dict(
        db.session.execute(
            sa.select(Declaration.status, sa.func.count(Declaration.id)).group_by(
                Declaration.status
            )
        ).all()
    )


def _counts():
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Declaration, Claim, PublicityBatch, Certificate, CertificatePrint, AuditEvent)
    }


def _verify(runner):
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, json.loads(result.stdout)


def test_county_rows_and_idempotence(ctx, client, auth):
    summary = county.load(300)
    db.session.commit()
    assert summary["units"] == 10
    statuses = _statuses()
    assert statuses[DeclarationStatus.SUBMITTED] == 30
    assert statuses[DeclarationStatus.REGISTERED] == 20
    assert statuses[DeclarationStatus.PUBLICISED] == 230
    assert statuses[DeclarationStatus.PROFESSIONAL_CHECKED] == 1  # the city's turn
    claims = db.session.scalars(
        sa.select(sa.func.count(Claim.id)).group_by(Claim.declaration_id)
    ).all()
    assert len(claims) == 300 and set(claims) <= {3, 4}
    # every year past its draft as submit() records it: the unit then, the unit reviewing
    submitted = db.session.execute(
        sa.select(Declaration.unit_id, Declaration.reviewing_body, Professional.unit_id)
        .join(Professional, Declaration.professional_id == Professional.id)
        .where(Declaration.status != DeclarationStatus.DRAFT)
    ).all()
    assert len(submitted) == 281
    assert all(row[0] == row[2] and row[1] is ReviewingBody.UNIT for row in submitted)
    assert county.load(300)["skipped"] and _statuses() == statuses
    # The board shows the running batches; unit-big reviews the waiting declarations.
    assert client.get("/board").status_code == 200
    auth.login("unit-big", "Demo@2025")
    assert "待核验 30 份" in client.get("/review/").get_data(as_text=True)


def test_county_certificates_and_audit_events(app, ctx, client, runner, make_user):
    officer = make_user(Role.BUREAU_OFFICER, username="bureau")
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    summary = county.load(300)
    db.session.commit()
    assert summary["certificates"] == 20
    assert summary["audit_events"] == sum(EXPECTED_ACTIONS.values())

    # Every registered person has a certificate, numbered as the service numbers, and one print.
    registered = db.session.scalars(
        sa.select(Declaration).where(Declaration.status == DeclarationStatus.REGISTERED)
    ).all()
    certificates = {c.professional_id: c for c in db.session.scalars(sa.select(Certificate)).all()}
    assert set(certificates) == {d.professional_id for d in registered}
    numbers = sorted(c.number for c in certificates.values())
    assert all(re.fullmatch(r"341822-\d{4}-\d{6}", number) for number in numbers)
    assert [int(number[-6:]) for number in numbers] == list(range(1, 21))
    prints = db.session.scalars(sa.select(CertificatePrint)).all()
    assert sorted(p.certificate_id for p in prints) == sorted(c.id for c in certificates.values())
    assert len({p.code for p in prints}) == len({p.token for p in prints}) == 20
    assert all(re.fullmatch(r"[A-Z2-7]{26}", p.token) for p in prints)
    declaration = registered[0]
    printed = next(
        p for p in prints if p.certificate.professional_id == declaration.professional_id
    )
    row = printed.content["years"][0]
    assert (row["year"], row["total"]) == (declaration.year, declaration.total_hours)
    assert row["reviewer"] == "示范县县域第一人民医院"

    # The print verifies by its QR link's token (the full record) and by its code.
    full = client.get(f"/verify/{printed.token}")
    assert full.status_code == 200
    page = full.get_data(as_text=True)
    assert "证书真实有效" in page and printed.certificate.number in page and "<table" in page
    short = client.get(f"/verify/{printed.code}").get_data(as_text=True)
    assert "证书真实有效" in short and printed.certificate.number in short

    # The events the steps leave: names as record() would give them, the chain intact.
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.seq)
    ).all()
    actions = {}
    for event in events:
        actions[event.action] = actions.get(event.action, 0) + 1
    assert actions == EXPECTED_ACTIONS
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + len(events)))
    assert [e.at for e in events] == sorted(e.at for e in events)
    about = [e for e in events if e.object_id == str(declaration.id)]
    assert [e.action for e in about] == [
        "declaration.submit",
        "review.approved",
        "publicity.added",
        "publicity.registered",
    ]
    assert {e.object_name for e in about} == {audit.object_name(declaration)}
    assert about[0].username == audit.redact(declaration.professional.id_number) != ""
    assert about[1].username == "unit-big" and about[2].user_id == officer.id
    printed_event = next(
        e for e in events if e.action == "certificate.print" and e.object_id == str(printed.id)
    )
    assert printed_event.object_name == audit.object_name(printed)
    assert printed.code not in printed_event.detail + printed_event.object_name
    batch = db.session.get(PublicityBatch, declaration.batch_id)
    opened = next(e for e in events if e.action == "publicity.batch_opened")
    assert opened.object_name == audit.object_name(batch) and "20份" in opened.detail
    code, report = _verify(runner)
    assert code == 0 and report["intact"], report["summary"]

    # A second run changes nothing (the check above is itself an event: count after it).
    counts = _counts()
    assert county.load(300)["skipped"]
    db.session.commit()
    assert _counts() == counts
