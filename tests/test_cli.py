"""flask demo and flask create-admin."""

import sqlalchemy as sa
from stdnum.cn import ric, uscc

from portal.accounts.models import PersonStatus, Professional, Role, User
from portal.admin import demo as demo_data
from portal.extensions import db
from portal.settings.models import Setting
from portal.units.models import Authority, Provider, TitleSeries, Unit, UnitType

MODELS = (Setting, Authority, Provider, Unit, User, Professional)


def _counts():
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in MODELS
    }


def test_demo_is_idempotent_and_complete(app, runner, ctx):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _counts() == counts

    # Seed 001 附件1: 32 rows, rows 14 and 16 name the same school.
    assert len(demo_data.PROVIDER_ROWS) == 32
    names = set(db.session.scalars(sa.select(Provider.name)))
    assert names == {name for _, name, _ in demo_data.PROVIDER_ROWS}
    assert counts["Provider"] == 31
    assert "合肥市财政干部教育中心" in names and "合肥工业学校" in names

    # Seed 002 附件: 13 authorities with their title series.
    assert counts["Authority"] == 13
    education = db.session.scalar(sa.select(Authority).filter_by(name="市教体局"))
    assert [series.name for series in education.series] == ["教师"]
    series = db.session.scalars(sa.select(TitleSeries.name)).all()
    assert len(series) == 13 and "经济、电子信息" in series and "农业（农机）" in series

    setting = db.session.get(Setting, ("", "BUREAU_NAME"))
    assert setting.value == {"value": app.config["BUREAU_NAME"]}

    units = db.session.scalars(sa.select(Unit)).all()
    assert {unit.type for unit in units} == set(UnitType)
    for unit in units:
        assert uscc.is_valid(unit.uscc), unit.uscc
        assert unit.authority is not None

    people = db.session.scalars(sa.select(Professional)).all()
    assert len(people) >= 60
    assert all(ric.is_valid(person.id_number) for person in people)
    assert len({person.title_series for person in people}) >= 5
    assert len({person.title_level for person in people}) >= 4
    statuses = [person.status for person in people]
    assert statuses.count(PersonStatus.CONFIRMED) > statuses.count(PersonStatus.PENDING) > 0
    assert any(person.unit is None for person in people)
    # Every person holds a dated title and has one open employment period at the current unit.
    for person in people:
        assert person.titles and all(title.obtained for title in person.titles)
        assert [e.unit_id for e in person.employments if e.ended_on is None] == [person.unit_id]
    # Two earlier units (EARLIER_UNIT) and 于洋's move in 2025 (portal.admin.demo_flow).
    assert len([p for p in people if len(p.employments) == 2]) == 3
    assert len([p for p in people if p.transfer_in_date]) == len(demo_data.TRANSFER_IN) == 2

    users = db.session.scalars(sa.select(User)).all()
    assert {user.role for user in users} == set(Role)
    for role in (Role.ADMIN, Role.AUDITOR, Role.BUREAU_OFFICER, Role.PROVIDER):
        assert sum(user.role is role for user in users) == 1, role
    state_owned = [unit for unit in units if not unit.reviewed_by_bureau]
    reviewers = [user for user in users if user.role is Role.UNIT_REVIEWER]
    assert {user.unit_id for user in reviewers} == {unit.id for unit in state_owned}
    accounts = [person for person in people if person.user is not None]
    assert any(person.unit is None for person in accounts)
    assert any(
        person.unit is not None and person.unit.type is UnitType.PRIVATE_ENTERPRISE
        for person in accounts
    )
    assert all(person.user.username == person.id_number for person in accounts)

    # The printed table names every login.
    for user in users:
        assert user.username in first.output
    assert demo_data.DEMO_PASSWORD in first.output


def test_demo_logins_work(app, runner, client):
    assert runner.invoke(args=["demo"]).exit_code == 0
    response = client.post(
        "/login", data={"username": "admin", "password": demo_data.DEMO_PASSWORD}
    )
    assert response.status_code in (302, 303)


def test_demo_registered_declaration_is_consistent(app, runner, ctx):
    from portal.declarations.models import Declaration, DeclarationSource, DeclarationStatus

    assert runner.invoke(args=["demo"]).exit_code == 0
    registered = db.session.scalars(
        sa.select(Declaration).filter_by(
            status=DeclarationStatus.REGISTERED, source=DeclarationSource.PORTAL
        )
    ).all()
    # The teacher's 2024 year, and the years behind the demo's verifications (2021–2025).
    assert any(row.year == 2024 and row.professional.name == "王晓梅" for row in registered)
    assert {row.year for row in registered} == set(range(2021, 2026))
    for row in registered:
        assert row.batch_id is not None
        assert row.total_hours == sum(claim.accepted_hours for claim in row.claims)
        assert row.general_hours + row.professional_hours == row.total_hours


def test_demo_claims_have_evidence_files(app, runner, ctx):
    """Every demo claim a person entered carries a real PDF, as a submitted declaration must
    (a prepared claim's proof is the provider's accepted list)."""
    import hashlib
    from pathlib import Path

    from portal.declarations.models import Claim

    assert runner.invoke(args=["demo"]).exit_code == 0
    claims = db.session.scalars(sa.select(Claim).where(Claim.source == "")).all()
    assert claims
    for claim in claims:
        assert len(claim.evidence) == 1
        path = Path(app.config["UPLOAD_FOLDER"], claim.evidence[0].stored_name)
        content = path.read_bytes()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == claim.evidence[0].sha256


def test_demo_holds_plans_a_list_and_prepared_claims(app, runner, ctx):
    from portal.declarations.models import Claim
    from portal.providers.models import ListRowStatus, PlanState, QualifiedRow, TrainingPlan

    assert runner.invoke(args=["demo"]).exit_code == 0
    states = set(db.session.scalars(sa.select(TrainingPlan.state)))
    assert states == {PlanState.ACCEPTED, PlanState.REFUSED, PlanState.PENDING}
    rows = db.session.scalars(sa.select(QualifiedRow)).all()
    assert {row.status for row in rows} == {ListRowStatus.MATCHED, ListRowStatus.UNMATCHED}
    prepared = db.session.scalars(sa.select(Claim).where(Claim.source == "qualified_list")).all()
    assert len(prepared) == 3 and all(c.plan_id is not None for c in prepared)
    phones = dict(db.session.execute(sa.select(Provider.name, Provider.phone)).all())
    assert phones["合肥工业学校"] == "62611533"
    # 20.15: no plan was filed after the day it was filed on (nor in the future)
    from portal.clock import local_time, local_today

    for plan in db.session.scalars(sa.select(TrainingPlan)):
        assert plan.filed_on <= local_today(), (plan.title, plan.filed_on)
        assert local_time(plan.filed_at, "%Y-%m-%d") == plan.filed_on.isoformat(), plan.title


def test_demo_creates_the_schema_on_an_empty_database(app, runner, ctx):
    db.drop_all()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Professional)) >= 60


def test_create_admin_with_options(app, runner, client):
    result = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "root2",
            "--name",
            "张管理",
            "--password",
            "Str0ng!pass",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(username="root2"))
        assert user.role is Role.ADMIN and user.name == "张管理"
        assert user.password_hash != "Str0ng!pass"
    response = client.post("/login", data={"username": "root2", "password": "Str0ng!pass"})
    assert response.status_code in (302, 303)


def test_create_admin_prompts_with_confirmation(app, runner, ctx):
    result = runner.invoke(args=["create-admin"], input="root3\n李四\nAbcd1234\nAbcd1234\n")
    assert result.exit_code == 0, result.output
    assert "Abcd1234" not in result.output  # hidden input
    assert db.session.scalar(sa.select(User).filter_by(username="root3")) is not None


def test_create_admin_refuses_a_weak_password(app, runner, ctx):
    for weak in ("short1A", "alllowercase1", "ALLUPPER!!!!", "Weak-weak1"):
        result = runner.invoke(
            args=["create-admin", "--username", "weak", "--name", "弱", "--password", weak]
        )
        assert result.exit_code != 0
        assert "密码" in result.output
    assert db.session.scalar(sa.select(User).filter_by(username="weak")) is None


def test_create_admin_refuses_a_taken_username(app, runner, ctx, make_user):
    make_user(Role.ADMIN, username="taken")
    result = runner.invoke(
        args=["create-admin", "--username", "taken", "--name", "重复", "--password", "Str0ng!pass"]
    )
    assert result.exit_code != 0
    assert "已存在" in result.output
