"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set),
the app, a client, an `auth` helper and factories (make_unit, make_user, make_professional, ...)."""

import itertools
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.accounts.idnumbers import make_id_number, make_uscc
from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.accounts.service import hash_password
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.service import seed_default_tree
from portal.units.models import Unit, UnitType


def _lazy_url_builders() -> None:
    """Every test builds its own app, and werkzeug compiles two URL builders (Python source made
    with `ast`, then compiled) for each of the app's ~750 routes when they are added: ~0.12 s of
    the ~0.13 s an app costs, while a test builds a handful of URLs. In the suite each builder is
    compiled when first used instead: the same function, made later. Production is untouched
    (a server builds its app once)."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder  # werkzeug 3.x; fails loudly if that changes

    def lazy(rule, append_unknown=True):
        compiled = None

        def build(self, *args, **kwargs):
            nonlocal compiled
            if compiled is None:
                compiled = compile_builder(self, append_unknown)
            return compiled(self, *args, **kwargs)

        return build

    Rule._compile_builder = lazy


_lazy_url_builders()


PASSWORD = "Passw0rd!"  # meets the default policy: 8+ characters, 3+ classes
_sequence = itertools.count(1)
# Production hashes with scrypt (~0.1 s of CPU a hash and a login); the suite logs in thousands
# of times, so its apps use a cheap method (tests/test_app.py checks the shipped default).
TEST_HASH_METHOD = "pbkdf2:sha256:1000"
_PASSWORD_HASH = generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)


@pytest.fixture(scope="session")
def _test_database_url() -> str | None:
    """TEST_DATABASE_URL, or under pytest-xdist this worker's own database next to it.

    Every test wipes the schema of the database it runs on, so two xdist workers must not share
    one: worker gw0 gets `<dbname>_gw0`, created once per worker (run serially, with `-n 0` or
    `-p no:xdist`, the tests use TEST_DATABASE_URL's database itself, as before).
    """
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    base = sa.engine.make_url(url)
    if base.get_backend_name() != "postgresql":
        return url
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")  # as portal.config does
    own = base.set(database=f"{base.database}_{worker}")
    # CREATE DATABASE cannot run inside a transaction. It is issued from TEST_DATABASE_URL's own
    # database (with `.ci/with-postgres` that is the maintenance database `postgres`): the one
    # database we know exists and may be connected to.
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": own.database},
            )
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(own.database)
                connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


def _test_config(tmp_path, url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "AUDIT_KEY": "test-audit-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(tmp_path / "evidence"),
        "WTF_CSRF_ENABLED": False,
        "JOBS_IMMEDIATE": True,
        "JOBS_RESULT_FOLDER": str(tmp_path / "jobs"),
        "PAGE_CACHE_GENERATION_PATH": str(tmp_path / "page-cache.generation"),
        "BACKUP_FOLDER": str(tmp_path / "backups"),
        # Most tests use an unfiled training as a plain source of hours; the tests of the
        # shipped default (an unfiled training counts 0, issue 22.1) set it back on and
        # tests/test_app.py checks that the shipped configuration has it on.
        "UNFILED_TRAINING_REFUSED": False,
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
    }


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file holding the empty schema, made once per worker: each test starts from a copy.

    create_all issues about a hundred DDL statements, each its own synced transaction on SQLite;
    a file copy costs a millisecond.
    """
    folder = tmp_path_factory.mktemp("schema")
    path = folder / "template.sqlite3"
    app = create_app(_test_config(folder, f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture
def app(tmp_path, _test_database_url, request):
    if _test_database_url:
        url = _test_database_url
    else:
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), database)
        url = f"sqlite:///{database}"
    app = create_app(_test_config(tmp_path, url))
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _reset_postgres()
        jurisdictions.tree()  # a server loads it once per process: not a cost of any one request
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# The shape of the public schema on PostgreSQL (tables, columns, indexes, triggers, grants): a test
# that changed it (migrations, drop_all, the audit role's SQL) makes the next test rebuild it.
_PG_SHAPE = sa.text(
    """
    SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public'),
           (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped),
           (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND NOT t.tgisinternal),
           (SELECT count(*) FROM information_schema.role_table_grants
             WHERE table_schema = 'public'),
           (SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')
    """
)
_pg_schema_shape: dict[str, tuple] = {}  # database URL -> the shape create_all left


def _reset_postgres() -> None:
    """Empty the test database: TRUNCATE when the schema is as create_all left it, else rebuild."""
    key = str(db.engine.url)
    with db.engine.begin() as connection:
        if _pg_schema_shape.get(key) == tuple(connection.execute(_PG_SHAPE).one()):
            tables = ", ".join(
                connection.dialect.identifier_preparer.quote(table.name)
                for table in db.metadata.sorted_tables
            )
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            seed_default_tree(connection)  # as create_all leaves it
            return
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    db.create_all()
    with db.engine.connect() as connection:
        _pg_schema_shape[key] = tuple(connection.execute(_PG_SHAPE).one())


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on 127.0.0.1 (tests/services.py), stopped after the test."""
    from tests.services import redis_server

    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def ctx(app):
    """An application context for factories and direct database checks."""
    with app.app_context():
        yield


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username, password=PASSWORD):
        if isinstance(username, User):
            username = username.username
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- factories ---------------------------------------------------------------------------


@pytest.fixture
def make_unit(ctx):
    def make(name=None, type=UnitType.INSTITUTION, **kwargs):
        n = next(_sequence)
        unit = Unit(
            name=name or f"测试单位{n}",
            uscc=make_uscc(f"12341822MB{n:07d}"),
            type=type,
            county=kwargs.pop("county", "示范县"),
            **kwargs,
        )
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_user(ctx):
    def make(role=Role.UNIT_REVIEWER, username=None, password=PASSWORD, **kwargs):
        n = next(_sequence)
        user = User(
            username=username or f"{role.value}{n}",
            password_hash=_PASSWORD_HASH if password == PASSWORD else hash_password(password),
            role=role,
            name=kwargs.pop("name", f"用户{n}"),
            **kwargs,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_professional(ctx, make_user):
    """A professional with an account (login with .user.username and PASSWORD)."""

    def make(unit=None, status=PersonStatus.CONFIRMED, account=True, born=None, **kwargs):
        n = next(_sequence)
        id_number = make_id_number(born or date(1980 + n % 20, 1 + n % 12, 1 + n % 28), n)
        user = None
        if account:
            user = make_user(
                Role.PROFESSIONAL, username=id_number, name=kwargs.get("name", f"专技{n}")
            )
        person = Professional(
            id_number=id_number,
            name=kwargs.pop("name", f"专技{n}"),
            phone=kwargs.pop("phone", f"1390000{n:04d}"),
            unit=unit,
            status=status,
            user=user,
            title_series=kwargs.pop("title_series", "教师"),
            title_level=kwargs.pop("title_level", "中级"),
            **kwargs,
        )
        db.session.add(person)
        db.session.commit()
        return person

    return make


@pytest.fixture
def make_registered_declaration(ctx):
    """A REGISTERED declaration with approved hours, built directly (certificates tests)."""
    from datetime import UTC, datetime

    from portal.declarations.models import Declaration, DeclarationStatus

    def make(person, year, general=30, professional=60, reviewer=None, compliant=None, **kwargs):
        total = general + professional
        declaration = Declaration(
            professional=person,
            year=year,
            rule_set=kwargs.pop("rule_set", "anhui-2025"),
            status=kwargs.pop("status", DeclarationStatus.REGISTERED),
            submitted_at=datetime(year, 11, 20, 2, 0, tzinfo=UTC),
            reviewed_at=kwargs.pop("reviewed_at", datetime(year, 12, 1, 2, 0, tzinfo=UTC)),
            reviewer=reviewer,
            general_hours=general,
            professional_hours=professional,
            total_hours=total,
            compliant=(total >= 90 and professional >= 60) if compliant is None else compliant,
            registered_at=datetime(year, 12, 12, 2, 0, tzinfo=UTC),
            registered_on=kwargs.pop("registered_on", date(year, 12, 12)),
            **kwargs,
        )
        db.session.add(declaration)
        db.session.commit()
        return declaration

    return make


@pytest.fixture
def make_submitted_declaration(ctx):
    """A SUBMITTED declaration (review/board tests) with claims evaluated by the rules engine.

    claims: dicts {"kind", "facts", "subject", "details"}; each gets one evidence row.
    """
    import secrets
    from datetime import UTC, datetime

    from portal import rules
    from portal.declarations.models import Claim, Declaration, DeclarationStatus, Evidence

    default_claims = (
        {"kind": "training", "facts": {"days": 5}, "subject": "professional"},
        {"kind": "courseware", "facts": {"hours": 30}, "subject": "general"},
    )

    def make(person, year=2025, claims=default_claims, rule_set="anhui-2025", **kwargs):
        rule_claims = [
            rules.Claim(
                c["kind"], c.get("facts", {}), c.get("subject"), details=c.get("details", {})
            )
            for c in claims
        ]
        result = rules.evaluate_year(rules.get_rule_set(rule_set), year, rule_claims)
        declaration = Declaration(
            professional=person,
            year=year,
            rule_set=rule_set,
            status=kwargs.pop("status", DeclarationStatus.SUBMITTED),
            submitted_at=kwargs.pop("submitted_at", datetime(year, 11, 20, 2, 0, tzinfo=UTC)),
            **kwargs,
        )
        for position, (spec, res) in enumerate(zip(claims, result.claims, strict=True)):
            claim = Claim(
                position=position,
                kind=spec["kind"],
                subject=res.subject,
                facts=dict(spec.get("facts", {})),
                details=dict(spec.get("details", {})),
                hours=res.hours,
                full_year=res.full_year,
                clause=res.clause,
            )
            claim.evidence.append(
                Evidence(
                    original_name=f"证明{position + 1}.pdf",
                    stored_name=secrets.token_hex(16) + ".pdf",
                    content_type="application/pdf",
                    size=1234,
                    sha256=secrets.token_hex(32),
                )
            )
            declaration.claims.append(claim)
        db.session.add(declaration)
        db.session.commit()
        return declaration

    return make


def logged_in(app, user):
    """A client logged in as `user` (the session a login makes, without the slow hash check)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["last_seen"] = datetime.now(UTC).timestamp()
    return client
