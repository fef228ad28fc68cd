"""Jurisdictions (issue 24): the province, city and county tree; every county-owned record
names its county; settings may be saved per county or city.

Existing rows belong to the install's county (config JURISDICTION_CODE), city officers' accounts
to its city; saved settings stay instance-wide.

Revision ID: 0023_jurisdictions
Revises: 0022_exchange
Create Date: 2026-12-07 06:00:00

"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0023_jurisdictions'
down_revision = '0022_exchange'
branch_labels = None
depends_on = None

OWNED = ('certificate', 'declaration', 'professional', 'publicity_batch', 'unit', 'user',
         'verification', 'workday_override')


def upgrade():
    from portal.jurisdictions.service import seed_default_tree

    op.create_table('jurisdiction',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('level', sa.Enum('PROVINCE', 'CITY', 'COUNTY', name='jurisdictionlevel', native_enum=False, length=10), nullable=False),
    sa.Column('parent_code', sa.String(length=6), nullable=True),
    sa.Column('bureau_name', sa.String(length=100), nullable=False),
    sa.Column('host', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['jurisdiction.code'], name=op.f('fk_jurisdiction_parent_code_jurisdiction')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_jurisdiction')),
    sa.UniqueConstraint('host', name=op.f('uq_jurisdiction_host'))
    )
    with op.batch_alter_table('jurisdiction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jurisdiction_parent_code'), ['parent_code'], unique=False)
    bind = op.get_bind()
    seed_default_tree(bind, current_app.config)
    county = current_app.config['JURISDICTION_CODE']
    city = county[:4] + '00'

    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('jurisdiction_code', sa.String(length=6), nullable=True))
        op.execute(sa.text(f'UPDATE "{table}" SET jurisdiction_code = :code').bindparams(code=county))
    op.execute(sa.text("UPDATE \"user\" SET jurisdiction_code = :code WHERE role = 'CITY_OFFICER'")
               .bindparams(code=city))
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('jurisdiction_code', existing_type=sa.String(length=6), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_jurisdiction_code'), ['jurisdiction_code'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_jurisdiction_code_jurisdiction'), 'jurisdiction', ['jurisdiction_code'], ['code'])
            if table == 'workday_override':
                batch_op.drop_constraint(batch_op.f('uq_workday_override_day'), type_='unique')
                batch_op.create_unique_constraint(batch_op.f('uq_workday_override_jurisdiction_code'), ['jurisdiction_code', 'day'])

    with op.batch_alter_table('setting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jurisdiction_code', sa.String(length=6), server_default='', nullable=False))
        batch_op.drop_constraint('pk_setting', type_='primary')
        batch_op.create_primary_key('pk_setting', ['jurisdiction_code', 'key'])


def downgrade():
    with op.batch_alter_table('setting', schema=None) as batch_op:
        batch_op.drop_constraint('pk_setting', type_='primary')
        batch_op.create_primary_key('pk_setting', ['key'])
        batch_op.drop_column('jurisdiction_code')
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'workday_override':
                batch_op.drop_constraint(batch_op.f('uq_workday_override_jurisdiction_code'), type_='unique')
                batch_op.create_unique_constraint(batch_op.f('uq_workday_override_day'), ['day'])
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_jurisdiction_code_jurisdiction'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_jurisdiction_code'))
            batch_op.drop_column('jurisdiction_code')
    with op.batch_alter_table('jurisdiction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jurisdiction_parent_code'))
    op.drop_table('jurisdiction')
