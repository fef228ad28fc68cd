"""People over time: title series as data, a person's titles, employment periods, transfer-in
date, and the unit and reviewing body a declaration was submitted under.

Existing data is carried over: each authority's free-text series becomes a title series row; a
person's registration title becomes a person title (without a date) when its series is known;
each person's current unit becomes an open employment period from the day the row was created;
declarations already submitted record the person's current unit and its reviewing body.

Revision ID: 3042fbe6aede
Revises: 812615c3a5ce
Create Date: 2026-11-30 13:21:39.370439

"""
from alembic import op
import sqlalchemy as sa

from datetime import UTC, date, datetime


# revision identifiers, used by Alembic.
revision = '3042fbe6aede'
down_revision = '812615c3a5ce'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('title_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authority.id'], name=op.f('fk_title_series_authority_id_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_title_series')),
    sa.UniqueConstraint('name', name=op.f('uq_title_series_name'))
    )
    with op.batch_alter_table('title_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_title_series_authority_id'), ['authority_id'], unique=False)

    op.create_table('employment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['professional_id'], ['professional.id'], name=op.f('fk_employment_professional_id_professional')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_employment_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employment'))
    )
    with op.batch_alter_table('employment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employment_professional_id'), ['professional_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employment_unit_id'), ['unit_id'], unique=False)

    op.create_table('person_title',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('FULL_SENIOR', 'DEPUTY_SENIOR', 'INTERMEDIATE', 'JUNIOR', 'ASSISTANT', name='titlelevel', native_enum=False, length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('obtained', sa.Date(), nullable=True),
    sa.Column('appointed', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['professional_id'], ['professional.id'], name=op.f('fk_person_title_professional_id_professional')),
    sa.ForeignKeyConstraint(['series_id'], ['title_series.id'], name=op.f('fk_person_title_series_id_title_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_title'))
    )
    with op.batch_alter_table('person_title', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_title_professional_id'), ['professional_id'], unique=False)

    _carry_series_and_titles()
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.drop_column('title_series')

    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewing_body', sa.Enum('UNIT', 'BUREAU', name='reviewingbody', native_enum=False, length=10), nullable=True))
        batch_op.create_index(batch_op.f('ix_declaration_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_declaration_unit_id_unit'), 'unit', ['unit_id'], ['id'])

    with op.batch_alter_table('professional', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_in_date', sa.Date(), nullable=True))

    _carry_employment_and_declarations()


LEVELS = {
    '正高': 'FULL_SENIOR',
    '副高': 'DEPUTY_SENIOR',
    '中级': 'INTERMEDIATE',
    '初级': 'JUNIOR',
    '员级': 'ASSISTANT',
}
BUREAU_TYPES = ('PRIVATE_ENTERPRISE', 'SOCIAL_ORG')


def _series_for(text, series):
    """The series row a free-text series names: equal, or one part of a combined row
    (经济 → 经济、电子信息, 农业 → 农业（农机）)."""
    text = (text or '').strip()
    if not text:
        return None
    for name, series_id in series.items():
        parts = name.replace('（', '、').replace('）', '').split('、')
        if text == name or text in parts:
            return series_id
    return None


def _carry_series_and_titles():
    connection = op.get_bind()
    for authority_id, text in connection.execute(
        sa.text("SELECT id, title_series FROM authority ORDER BY id")
    ).all():
        name = (text or '').strip()
        if not name:
            continue
        known = connection.execute(
            sa.text("SELECT 1 FROM title_series WHERE name = :name"), {'name': name}
        ).first()
        if known is None:
            connection.execute(
                sa.text("INSERT INTO title_series (name, authority_id) VALUES (:name, :a)"),
                {'name': name, 'a': authority_id},
            )
    series = dict(connection.execute(sa.text("SELECT name, id FROM title_series")).all())
    people = connection.execute(
        sa.text("SELECT id, title_series, title_level, title_name FROM professional ORDER BY id")
    ).all()
    for person_id, series_text, level, title_name in people:
        series_id = _series_for(series_text, series)
        if series_id is None or level not in LEVELS:
            continue
        connection.execute(
            sa.text(
                "INSERT INTO person_title (professional_id, series_id, level, name)"
                " VALUES (:p, :s, :l, :n)"
            ),
            {'p': person_id, 's': series_id, 'l': LEVELS[level], 'n': title_name or ''},
        )


def _day(value):
    """The date part of a stored timestamp (a datetime, or text on SQLite)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return datetime.now(UTC).date()


def _carry_employment_and_declarations():
    connection = op.get_bind()
    people = connection.execute(
        sa.text(
            "SELECT p.id, p.unit_id, p.created_at, u.type FROM professional p"
            " LEFT JOIN unit u ON u.id = p.unit_id ORDER BY p.id"
        )
    ).all()
    for person_id, unit_id, created_at, unit_type in people:
        connection.execute(
            sa.text(
                "INSERT INTO employment (professional_id, unit_id, started_on)"
                " VALUES (:p, :u, :d)"
            ),
            {'p': person_id, 'u': unit_id, 'd': _day(created_at)},
        )
        body = 'BUREAU' if unit_id is None or unit_type in BUREAU_TYPES else 'UNIT'
        connection.execute(
            sa.text(
                "UPDATE declaration SET unit_id = :u, reviewing_body = :b"
                " WHERE professional_id = :p AND status <> 'DRAFT'"
            ),
            {'p': person_id, 'u': unit_id, 'b': body},
        )


def downgrade():
    with op.batch_alter_table('professional', schema=None) as batch_op:
        batch_op.drop_column('transfer_in_date')

    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_declaration_unit_id_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_declaration_unit_id'))
        batch_op.drop_column('reviewing_body')
        batch_op.drop_column('unit_id')

    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_series', sa.String(length=500), server_default='', nullable=False))
    connection = op.get_bind()
    names: dict[int, list[str]] = {}
    for authority_id, name in connection.execute(
        sa.text("SELECT authority_id, name FROM title_series ORDER BY id")
    ).all():
        names.setdefault(authority_id, []).append(name)
    for authority_id, series in names.items():
        connection.execute(
            sa.text("UPDATE authority SET title_series = :t WHERE id = :a"),
            {'t': '、'.join(series), 'a': authority_id},
        )

    with op.batch_alter_table('person_title', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_title_professional_id'))

    op.drop_table('person_title')
    with op.batch_alter_table('employment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employment_unit_id'))
        batch_op.drop_index(batch_op.f('ix_employment_professional_id'))

    op.drop_table('employment')
    with op.batch_alter_table('title_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_title_series_authority_id'))

    op.drop_table('title_series')
