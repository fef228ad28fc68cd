"""The county generator (`flask --app portal demo --county N`): the rows, and idempotence."""

import sqlalchemy as sa

from portal.admin import county
from portal.declarations.models import Claim, Declaration, DeclarationStatus
from portal.extensions import db


def _statuses():
    return dict(
        db.session.execute(
            sa.select(Declaration.status, sa.func.count(Declaration.id)).group_by(
                Declaration.status
            )
        ).all()
    )


def test_county_rows_and_idempotence(ctx, client, auth):
    summary = county.load(300)
    db.session.commit()
    assert summary["units"] == 10
    statuses = _statuses()
    assert statuses[DeclarationStatus.SUBMITTED] == 30
    assert statuses[DeclarationStatus.REGISTERED] == 20
    assert statuses[DeclarationStatus.PUBLICISED] == 230
    claims = db.session.scalars(
        sa.select(sa.func.count(Claim.id)).group_by(Claim.declaration_id)
    ).all()
    assert len(claims) == 300 and set(claims) <= {3, 4}
    assert county.load(300)["skipped"] and _statuses() == statuses
    # The board shows the running batches; unit-big reviews the waiting declarations.
    assert client.get("/board").status_code == 200
    auth.login("unit-big", "Demo@2025")
    assert "待核验 30 份" in client.get("/review/").get_data(as_text=True)
