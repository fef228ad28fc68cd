"""Audit details never carry a full ID number or a code that opens something (个人信息保护): the
whole demo load plus a walk of the actions that handle ID numbers and codes (logins by ID
number, certificate and verification lookups, activation codes, throttles), then every text
field of every audit row is scanned."""

import re

import sqlalchemy as sa

from portal.accounts import activation
from portal.accounts.models import PersonStatus, Professional, User
from portal.admin.demo import DEMO_PASSWORD
from portal.audit.models import AuditEvent
from portal.certificates.models import CertificatePrint
from portal.extensions import db
from portal.verification.models import Verification

FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
TEXT_FIELDS = ("username", "role", "ip", "action", "object_type", "object_id", "object_name",
               "detail")  # fmt: skip


def _login(client, username, password=DEMO_PASSWORD):
    client.post("/logout")
    return client.post("/login", data={"username": username, "password": password})


def _walk(app, client) -> set[str]:
    """Act as the people who meet ID numbers and codes; the plain codes handed out."""
    codes = set()
    wang = "342523197903141001"  # 王晓梅, registered 2024: prints her certificate
    _login(client, wang, "wrong-password")  # a failed login by ID number
    assert _login(client, wang).status_code == 303
    client.get("/certificates")
    client.post("/certificates/print", data={"year": "2024"})
    client.get("/jobs/987654")  # someone else's (no one's) job: a refused 404
    client.get("/audit/")  # a refused 403
    client.post("/logout")

    printed = db.session.scalars(sa.select(CertificatePrint)).all()
    assert printed, "the demo prints certificates"
    app.config["VERIFY_LIMIT_PER_HOUR"] = 3
    for row in printed[:2]:
        client.get(f"/verify/{row.token}")
        client.get(f"/verify/{row.code}")
    for _ in range(4):  # over the limit: a throttle event from /verify/<code>
        client.get(f"/verify/{printed[0].code}")
    for row in db.session.scalars(sa.select(Verification)).all():
        client.get(f"/verification/check/{row.code}")

    # An activation code for an imported person without an account, used once wrongly, once
    # rightly.
    person = db.session.scalar(
        sa.select(Professional)
        .where(Professional.user_id.is_(None), Professional.status == PersonStatus.CONFIRMED)
        .limit(1)
    )
    if person is None:  # the demo has none: import one through the officer's service
        from portal.units.models import Unit

        person = Professional(
            id_number="342523199001011238",
            name="激活人",
            status=PersonStatus.CONFIRMED,
            unit=db.session.scalars(sa.select(Unit).limit(1)).first(),
        )
        db.session.add(person)
        db.session.commit()
    officer = db.session.scalar(sa.select(User).where(User.username == "bureau"))
    with app.test_request_context("/people", environ_base={"REMOTE_ADDR": "10.5.5.5"}):
        code = activation.issue(officer, person)
        db.session.commit()
    codes.add(code)
    codes.add(code.replace("-", ""))
    form = {"id_number": person.id_number, "password": "Activ8!Pass", "confirm": "Activ8!Pass"}
    client.post("/activate", data={**form, "code": "ABCD-EFGH-JKMN"})
    client.post("/activate", data={**form, "code": code})
    client.post("/logout")

    _login(client, "auditor")
    client.get("/audit/export.csv")
    client.post("/audit/verify")
    return codes


def test_no_audit_row_carries_an_id_number_or_a_code(app, runner, client, ctx):
    assert runner.invoke(args=["demo"]).exit_code == 0
    handed_out = _walk(app, client)
    db.session.expire_all()
    secrets = set(handed_out)
    for row in db.session.scalars(sa.select(CertificatePrint)).all():
        secrets |= {row.code, row.token}
    secrets |= set(db.session.scalars(sa.select(Verification.code)).all())
    secrets.discard("")
    id_numbers = set(db.session.scalars(sa.select(Professional.id_number)).all())
    events = db.session.scalars(sa.select(AuditEvent)).all()
    actions = {event.action for event in events}
    # The walk reached the actions that meet ID numbers and codes.
    assert {
        "auth.login",
        "certificate.print",
        "certificate.verify_throttle",
        "account.activation_issued",
        "account.activate",
        "access.not_found",
        "access.forbidden",
        "audit.export",
        "audit.verify",
        "verification.issue",
    } <= actions, actions
    assert len(events) > 200
    leaks = []
    for event in events:
        for name in TEXT_FIELDS:
            text = getattr(event, name) or ""
            if FULL_ID.search(text):
                leaks.append((event.id, event.action, name, "ID number", text))
            leaks += [
                (event.id, event.action, name, "code", text)
                for secret in secrets
                if len(secret) >= 8 and secret.upper() in text.upper()
            ]
    assert leaks == []
    # And the masked forms are really there: the scan looks where an ID number would be.
    assert any("342523********1001" in e.username for e in events)
    assert not any(number in e.username for e in events for number in id_numbers)
