"""`flask import registrations FILE`: a file exported by one demo instance imports into a fresh
one, every year marked with the county that registered it; a year already here is never
overwritten; a file that is not the published format is refused with a Chinese message."""

import json

import jsonschema
import pytest
import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import Professional
from portal.audit.models import AuditEvent
from portal.declarations.models import Declaration, DeclarationSource, DeclarationStatus
from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.stats import snapshots

OTHER = "另一县人力资源和社会保障局"


@pytest.fixture
def demo_export(app, runner, client, tmp_path):
    """The demo instance's file of everything it registered, and the published schema."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    out = tmp_path / "all.json"
    result = runner.invoke(
        args=["export", "year", "--since", "2000-01-01", "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    schema = client.get("/api/v1/schema/registration-export.json").get_json()
    return out, json.loads(out.read_text(encoding="utf-8")), schema


def validate(document, schema):
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)


def test_the_export_of_a_demo_year_validates_against_the_published_schema(
    demo_export, runner, tmp_path
):
    _, everything, schema = demo_export
    out = tmp_path / "2024.json"
    result = runner.invoke(args=["export", "year", "2024", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    year = json.loads(out.read_text(encoding="utf-8"))
    assert year["count"] > 0 and {r["year"] for r in year["records"]} == {2024}
    validate(year, schema)
    validate(everything, schema)
    records = everything["records"]
    # The demo's paper years are marked as such; portal years went through publicity.
    paper = [r for r in records if r["paper"]]
    assert paper and all(r["source"] == "paper" and r["publicity"] is None for r in paper)
    portal = [r for r in records if r["source"] == "portal"]
    assert portal and all(r["publicity"] and r["review"]["reviewer"] for r in portal)
    assert all(r["claims"] for r in records)
    # A record breaking the format is caught by the same schema (the check can fail).
    broken = {**everything, "records": [{**records[0], "paper": "no"}]}
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, schema)


@pytest.fixture
def fresh(tmp_path):
    """A second, empty instance of another county."""
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "other",
            "AUDIT_KEY": "other-audit-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
            "UPLOAD_FOLDER": str(tmp_path / "other-evidence"),
            "BUREAU_NAME": OTHER,
            "CERTIFICATE_COUNTY_CODE": "341823",
            "JOBS_IMMEDIATE": True,
            "JOBS_RESULT_FOLDER": str(tmp_path / "other-jobs"),
        }
    )
    with other.app_context():
        db.create_all()
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_demo_file_imports_into_a_fresh_instance_each_year_marked_with_its_source(
    app, demo_export, fresh, tmp_path
):
    path, document, schema = demo_export
    source = document["county"]["name"]
    runner = fresh.test_cli_runner()
    dry = runner.invoke(args=["import", "registrations", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.output)
    assert len(plan["add"]) == document["count"] and plan["skipped"] == []
    assert all("*" in row["id_number"] for row in plan["add"])  # masked on the terminal
    with fresh.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Declaration.id))) == 0
        # the statistics as they stand before the import (nobody registered)
        snapshots.refresh(
            [jurisdictions.default_county()], {r["year"] for r in document["records"]}
        )
        db.session.commit()
    result = runner.invoke(args=["import", "registrations", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.split("\n}\n")[-1]) == {
        "added": document["count"],
        "skipped": 0,
    }
    with fresh.app_context():
        years = db.session.scalars(sa.select(Declaration)).all()
        assert len(years) == document["count"]
        assert {(y.source, y.source_county, y.status) for y in years} == {
            (DeclarationSource.ELSEWHERE, source, DeclarationStatus.REGISTERED)
        }
        people = {r["id_number"] for r in document["records"]}
        assert set(db.session.scalars(sa.select(Professional.id_number))) == people
        events = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert events.count("declaration.imported") == len(years)
        assert events.count("exchange.import_registrations") == 1
        # An import is a registration batch: the statistics of its years are computed again.
        county = jurisdictions.get(jurisdictions.default_county())
        for year in {y.year for y in years}:
            figures = snapshots.read(county, year).statistics.overall
            assert figures.registered == sum(1 for y in years if y.year == year), year
    # Exported again from here: the same years and hours, registered by the first county,
    # paper years still marked, valid in the published format.
    out = tmp_path / "again.json"
    again = runner.invoke(
        args=["export", "year", "--since", "2000-01-01", "--format", "json", "--out", str(out)]
    )
    assert again.exit_code == 0, again.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    validate(exported, schema)
    assert exported["county"]["name"] == OTHER
    assert {r["county"] for r in exported["records"]} == {source}
    assert {r["source"] for r in exported["records"]} == {"elsewhere"}

    def key(r):
        return (r["id_number"], r["year"], r["general"], r["professional"], r["paper"])

    assert sorted(map(key, exported["records"])) == sorted(map(key, document["records"]))
    # A second run adds nothing: every year is here now, never overwritten.
    second = runner.invoke(args=["import", "registrations", str(path)])
    assert second.exit_code == 0
    summary = json.loads(second.output.split("\n}\n")[0] + "\n}")
    assert summary["add"] == [] and len(summary["skipped"]) == document["count"]
    assert all("不覆盖" in row["reason"] for row in summary["skipped"])


def test_a_year_registered_here_is_never_overwritten(app, demo_export, fresh):
    path, document, _ = demo_export
    first = document["records"][0]
    with fresh.app_context():
        person = Professional(id_number=first["id_number"], name=first["name"])
        db.session.add(person)
        db.session.flush()
        here = Declaration(
            professional=person,
            year=first["year"],
            rule_set=first["rule_set"],
            status=DeclarationStatus.REGISTERED,
            general_hours=1,
            professional_hours=2,
            total_hours=3,
        )
        db.session.add(here)
        db.session.commit()
        person_id = person.id
    result = fresh.test_cli_runner().invoke(args=["import", "registrations", str(path)])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        kept = db.session.scalar(
            sa.select(Declaration).where(
                Declaration.professional_id == person_id, Declaration.year == first["year"]
            )
        )
        assert (kept.source, kept.general_hours, kept.total_hours) == (
            DeclarationSource.PORTAL,
            1,
            3,
        )
        total = db.session.scalar(sa.select(sa.func.count(Declaration.id)))
        assert total == document["count"]  # the others were added, this one kept


def test_bad_files_are_refused_with_a_message(app, demo_export, runner, tmp_path, fresh):
    path, document, _ = demo_export
    own = runner.invoke(args=["import", "registrations", str(path)])
    assert own.exit_code == 2 and "本县（市）导出" in own.output
    other = fresh.test_cli_runner()
    cases = {
        "not json": "无法读取该文件",
        json.dumps({**document, "format": "county-registration-export/1"}): "不受支持",
        json.dumps({**document, "records": [{"name": "甲"}]}): "records/0：缺少字段 id_number",
        json.dumps({**document, "count": -1}): "count：数值过小",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.json"
        bad.write_text(text, encoding="utf-8")
        result = other.invoke(args=["import", "registrations", str(bad)])
        assert result.exit_code == 2 and message in result.output, result.output
    missing = other.invoke(args=["import", "registrations", str(tmp_path / "none.json")])
    assert missing.exit_code == 2
    with fresh.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Declaration.id))) == 0
