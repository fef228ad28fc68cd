"""PostgreSQL set-up of README (portal/audit/postgres_roles.sql): the portal's role may not
UPDATE or DELETE audit events, and the portal still works under it: requests are audited, the
chain verifies, and the nightly purge deletes old events through the set-up's function."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from psycopg import errors as pg_errors

from portal.audit import chain
from portal.audit.models import AuditEvent
from portal.audit.service import purge, record
from portal.extensions import db

SQL = Path(__file__).resolve().parents[2] / "portal" / "audit" / "postgres_roles.sql"


@pytest.fixture
def app_role(app, ctx):
    """The set-up applied for a role of this worker, and the app's connections under it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL role set-up: runs under .ci/with-postgres")
    role = f"portal_app_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with db.engine.begin() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        )
        if not exists:
            connection.execute(sa.text(f"CREATE ROLE {role} NOLOGIN"))
        connection.exec_driver_sql(SQL.read_text().replace("portal_app", role))
    old = datetime.now(UTC) - timedelta(days=400)
    db.session.add(AuditEvent(at=old, action="unit.create", detail="一年多以前"))
    db.session.commit()

    @sa.event.listens_for(db.engine, "connect")
    def as_role(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {role}")
        dbapi_connection.commit()

    db.session.remove()
    db.engine.dispose()
    yield role
    sa.event.remove(db.engine, "connect", as_role)
    db.session.remove()
    db.engine.dispose()


def test_the_app_role_cannot_change_the_log_but_the_portal_works(app, client, auth, app_role):
    from portal.accounts.models import Role, User
    from portal.accounts.service import hash_password

    assert db.session.scalar(sa.text("SELECT current_user")) == app_role
    for statement in (
        "UPDATE audit_event SET detail = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(sa.exc.ProgrammingError) as raised:
            db.session.execute(sa.text(statement))
        assert isinstance(raised.value.orig, pg_errors.InsufficientPrivilege)
        db.session.rollback()
    # The portal under the role: an account, a login, refused access, all audited.
    db.session.add(
        User(
            username="admin2", password_hash=hash_password("Passw0rd!"), role=Role.ADMIN, name="管"
        )
    )
    record("user.create", detail="admin2")
    db.session.commit()
    assert auth.login("admin2").status_code == 303
    assert client.get("/audit/").status_code == 403
    report = chain.verify(db.session)
    assert report.intact, report.summary
    db.session.rollback()
    # Retention through the set-up's function: the old event goes, the chain still verifies.
    assert purge(6) == 1
    db.session.commit()
    report = chain.verify(db.session)
    assert report.intact, report.summary
    assert report.anchor_seq == 1
    db.session.rollback()
    # The function deletes nothing younger than six months, whatever it is asked.
    deleted = db.session.scalar(sa.text("SELECT portal_audit_purge(1000000, now())"))
    assert deleted == 0
    db.session.rollback()
