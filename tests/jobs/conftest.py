from datetime import date, timedelta

import pytest


@pytest.fixture
def due_publicised(ctx, make_unit, make_professional, make_submitted_declaration, make_user):
    """A publicised declaration whose period ended last month: the next close registers it."""
    from portal.accounts.models import Role
    from portal.board.models import PublicityBatch
    from portal.declarations.models import DeclarationStatus
    from portal.extensions import db

    officer = make_user(Role.BUREAU_OFFICER)
    end = date.today() - timedelta(days=30)
    batch = PublicityBatch(
        title="到期批次", start_date=end - timedelta(days=7), end_date=end, created_by_id=officer.id
    )
    db.session.add(batch)
    db.session.flush()
    declaration = make_submitted_declaration(
        make_professional(unit=make_unit()),
        year=2025,
        status=DeclarationStatus.PUBLICISED,
        batch_id=batch.id,
        general_hours=30,
        professional_hours=60,
        total_hours=90,
        compliant=True,
    )
    return {"declaration_id": declaration.id, "officer": officer}
