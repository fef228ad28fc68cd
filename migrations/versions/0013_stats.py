"""Each claim's part of its declaration's approved hours (the statistics by content and form).

Revision ID: 0013_stats
Revises: 0012_authority_officer
Create Date: 2026-11-30 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_stats'
down_revision = '0012_authority_officer'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_general', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counted_professional', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('counted_professional')
        batch_op.drop_column('counted_general')
