"""Separation (issue 24): training plans, provider imports, courseware records and jobs belong
to a county like the other county-owned records (a plan is filed with a county's bureau, an
import or a job is a county account's work). Existing rows belong to the install's county.

Revision ID: 0027_separation
Revises: 0026_stats
Create Date: 2026-12-07 06:10:00

"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0027_separation'
down_revision = '0026_stats'
branch_labels = None
depends_on = None

OWNED = ('courseware_record', 'job', 'provider_import', 'training_plan')


def upgrade():
    county = current_app.config['JURISDICTION_CODE']
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('jurisdiction_code', sa.String(length=6), nullable=True))
        op.execute(sa.text(f'UPDATE "{table}" SET jurisdiction_code = :code').bindparams(code=county))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('jurisdiction_code', existing_type=sa.String(length=6), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_jurisdiction_code'), ['jurisdiction_code'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_jurisdiction_code_jurisdiction'), 'jurisdiction', ['jurisdiction_code'], ['code'])


def downgrade():
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_jurisdiction_code_jurisdiction'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_jurisdiction_code'))
            batch_op.drop_column('jurisdiction_code')
