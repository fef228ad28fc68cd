"""Indexes for the board, the review queue and the publicity pages at county scale (issue 13)

Revision ID: 4c5a1e13b0d4
Revises: 3042fbe6aede
Create Date: 2026-11-30 13:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4c5a1e13b0d4'
down_revision = '3042fbe6aede'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_professional_unit_id', 'professional', ['unit_id']),
    ('ix_professional_name', 'professional', ['name']),
    ('ix_declaration_status', 'declaration', ['status']),
    ('ix_publicity_batch_start_date', 'publicity_batch', ['start_date']),
    ('ix_publicity_batch_end_date', 'publicity_batch', ['end_date']),
    ('ix_objection_status', 'objection', ['status']),
]


def upgrade():
    for name, table, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
