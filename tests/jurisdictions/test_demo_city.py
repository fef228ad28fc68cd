"""`flask --app portal demo --city N --county M`: the install's city with N of its GB/T 2260
counties of M generated people each, every row in its county, a bureau officer per county and
the city officer, and the city's officer seeing them all."""

import sqlalchemy as sa

from portal.accounts.models import Professional, Role, User
from portal.admin import county
from portal.board.models import PublicityBatch
from portal.certificates.models import Certificate
from portal.declarations.models import Declaration
from portal.extensions import db
from portal.jurisdictions import scope
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from portal.units.models import Unit

HOME, CITY = "341822", "341800"
XUANCHENG = ["341802", "341821", "341822", "341823", "341824", "341825", "341881", "341882"]


def _per_county(model):
    with scope.unscoped():
        return dict(
            db.session.execute(
                sa.select(model.jurisdiction_code, sa.func.count(model.id)).group_by(
                    model.jurisdiction_code
                )
            ).all()
        )


def test_the_city_has_the_counties_of_gb_t_2260(ctx):
    assert [code for code, _ in county.city_counties(CITY)] == XUANCHENG
    plan = county.city_plan(3)
    assert [c.code for c in plan] == [HOME, "341802", "341821"]  # the install's county first
    assert [c.name for c in plan] == ["示范县", "宣州区", "郎溪县"]
    assert len(county.city_plan(8)) == 8


def test_a_city_of_three_counties(ctx):
    summaries = county.load_city(3, 60)
    db.session.commit()
    codes = [HOME, "341802", "341821"]
    assert [s["code"] for s in summaries] == codes and not any(s["skipped"] for s in summaries)
    tree = {node.code: node for node in jurisdictions.counties()}
    assert set(codes) <= set(tree) and tree["341821"].parent == CITY
    assert tree["341821"].level is JurisdictionLevel.COUNTY

    # Every row in its county: units, people, declarations, batches, certificates.
    for model in (Unit, Professional, Declaration, PublicityBatch, Certificate):
        counts = _per_county(model)
        assert [counts.get(code) for code in codes] == [counts[HOME]] * 3, model
    assert _per_county(Professional) == dict.fromkeys(codes, 60)
    with scope.unscoped():
        for code in codes:  # units' USCCs carry their county's code
            usccs = db.session.scalars(
                sa.select(Unit.uscc).where(Unit.jurisdiction_code == code)
            ).all()
            assert usccs and all(u[2:8] == code for u in usccs)
        people = db.session.execute(
            sa.select(Professional.id_number, Professional.unit_id, Unit.jurisdiction_code)
            .join(Unit, Unit.id == Professional.unit_id)
            .where(Professional.jurisdiction_code != Unit.jurisdiction_code)
        ).all()
        assert people == []  # each person in a unit of their own county
        ids = db.session.scalars(sa.select(Professional.id_number)).all()
        assert len(set(ids)) == 180
        # declarations in their person's county, batches and certificates too
        assert not db.session.scalar(
            sa.select(sa.func.count(Declaration.id))
            .join(Professional, Professional.id == Declaration.professional_id)
            .where(Professional.jurisdiction_code != Declaration.jurisdiction_code)
        )
        assert not db.session.scalar(
            sa.select(sa.func.count(Declaration.id))
            .join(PublicityBatch, PublicityBatch.id == Declaration.batch_id)
            .where(PublicityBatch.jurisdiction_code != Declaration.jurisdiction_code)
        )
        logins = {
            u.username: (u.role, u.jurisdiction_code)
            for u in db.session.scalars(sa.select(User).where(User.username.like("%-3418%")))
        }
    assert logins == {
        "city-341800": (Role.CITY_OFFICER, CITY),
        **{f"bureau-{code}": (Role.BUREAU_OFFICER, code) for code in codes},
        **{f"unit-big-{code}": (Role.UNIT_REVIEWER, code) for code in codes[1:]},
    }

    # A county officer's scope holds its own rows; the city's all three.
    with scope.use("341802"):
        assert db.session.scalar(sa.select(sa.func.count(Professional.id))) == 60
    with scope.use(CITY):
        assert db.session.scalar(sa.select(sa.func.count(Professional.id))) == 180

    # Again: nothing more; one more county: only its rows.
    before = _per_county(Declaration)
    assert all(s["skipped"] for s in county.load_city(3, 60))
    county.load_city(4, 60)
    db.session.commit()
    assert _per_county(Declaration) == {**before, "341823": before[HOME]}


def test_the_command_builds_and_prints_the_logins(runner, ctx, monkeypatch):
    calls = []

    def fake_load(n, one=None):
        calls.append((n, one.code))
        return {"skipped": True, "n": n}

    monkeypatch.setattr(county, "load", fake_load)  # the demo county and its logins are real
    result = runner.invoke(args=["demo", "--city", "2", "--county", "30"])
    assert result.exit_code == 0, result.output
    assert calls == [(30, HOME), (30, "341802")]
    for username in ("city-341800", "bureau-341822", "bureau-341802"):
        assert username in result.output
    assert "Demo@2025" in result.output


def test_the_command_refuses_more_counties_than_the_city_has(runner, ctx):
    result = runner.invoke(args=["demo", "--city", "9", "--county", "30"])
    assert result.exit_code == 2
    assert "宣城市在 GB/T 2260 中只有 8 个县级区划" in result.output
    alone = runner.invoke(args=["demo", "--city", "2"])
    assert alone.exit_code == 2 and "--county" in alone.output
    with scope.unscoped():  # refused before anything was loaded
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
