"""The Alembic migrations build exactly the schema the models describe."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


@pytest.fixture
def empty_app(app):
    """The app fixture's database, emptied of the tables create_all made."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    return app


def test_upgrade_matches_the_models(empty_app):
    from flask_migrate import downgrade, upgrade

    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == [], differences
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_people_over_time_carries_existing_data_over(empty_app):
    """0003: series from the authorities' text, titles from registration, an open employment
    period at the current unit, and the unit of declarations already submitted."""
    from flask_migrate import downgrade, upgrade

    created = datetime(2024, 3, 5, 2, 0, tzinfo=UTC)
    with empty_app.app_context():
        upgrade(revision="812615c3a5ce")
        with db.engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO authority (id, name, title_series) VALUES"
                    " (1, '市教体局', '教师'), (2, '市经信局', '经济、电子信息')"
                )
            )
            c.execute(
                sa.text(
                    "INSERT INTO unit (id, name, uscc, type, county, active) VALUES"
                    " (1, '一中', '12341822MA0000011X', 'INSTITUTION', '', :t),"
                    " (2, '电子公司', '91341822MA0000021X', 'PRIVATE_ENTERPRISE', '', :t)"
                ),
                {"t": True},
            )
            people = [
                (1, "340102199001011234", 1, "教师", "中级"),
                (2, "340102199001011242", 2, "经济", "初级"),
                (3, "340102199001011250", None, "魔法", "中级"),
            ]
            for person_id, id_number, unit_id, series, level in people:
                c.execute(
                    sa.text(
                        "INSERT INTO professional (id, id_number, name, phone, unit_id,"
                        " title_series, title_level, title_name, status, status_note,"
                        " created_at) VALUES (:i, :n, '某', '', :u, :s, :l, '', 'CONFIRMED',"
                        " '', :c)"
                    ),
                    {
                        "i": person_id,
                        "n": id_number,
                        "u": unit_id,
                        "s": series,
                        "l": level,
                        "c": created,
                    },
                )
            for decl_id, person_id, status in [
                (1, 1, "SUBMITTED"),
                (2, 2, "REGISTERED"),
                (3, 3, "DRAFT"),
            ]:
                c.execute(
                    sa.text(
                        "INSERT INTO declaration (id, professional_id, year, rule_set, status,"
                        " created_at, review_note) VALUES (:i, :p, 2024, 'anhui-2025', :s, :c,"
                        " '')"
                    ),
                    {"i": decl_id, "p": person_id, "s": status, "c": created},
                )
        upgrade()
        with db.engine.connect() as c:
            series = c.execute(
                sa.text("SELECT name, authority_id FROM title_series ORDER BY id")
            ).all()
            titles = c.execute(
                sa.text(
                    "SELECT professional_id, s.name, level, obtained FROM person_title t"
                    " JOIN title_series s ON s.id = t.series_id ORDER BY professional_id"
                )
            ).all()
            employment = c.execute(
                sa.text(
                    "SELECT professional_id, unit_id, started_on, ended_on FROM employment"
                    " ORDER BY professional_id"
                )
            ).all()
            declarations = c.execute(
                sa.text("SELECT id, unit_id, reviewing_body FROM declaration ORDER BY id")
            ).all()
        assert [tuple(r) for r in series] == [("教师", 1), ("经济、电子信息", 2)]
        assert [tuple(r) for r in titles] == [
            (1, "教师", "INTERMEDIATE", None),
            (2, "经济、电子信息", "JUNIOR", None),
        ]
        assert [(r[0], r[1], str(r[2])[:10], r[3]) for r in employment] == [
            (1, 1, "2024-03-05", None),
            (2, 2, "2024-03-05", None),
            (3, None, "2024-03-05", None),
        ]
        assert [tuple(r) for r in declarations] == [
            (1, 1, "UNIT"),
            (2, 2, "BUREAU"),
            (3, None, None),
        ]
        downgrade(revision="812615c3a5ce")
        with db.engine.connect() as c:
            text = c.execute(sa.text("SELECT title_series FROM authority ORDER BY id")).scalars()
            assert list(text) == ["教师", "经济、电子信息"]
        downgrade(revision="base")
