"""The yearly flow (issue 22): an unfiled training accepted as filed outside the county, and a
paper year's own registering body, date and (for a year the portal could have reviewed) the
bureau's written reason.

Revision ID: 0020_flow
Revises: 0019_verdicts
Create Date: 2026-12-07 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_flow'
down_revision = '0019_verdicts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('filed_elsewhere', sa.String(length=20), server_default='', nullable=False)
        )
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('paper_registrar', sa.String(length=100), server_default='', nullable=False)
        )
        batch_op.add_column(sa.Column('paper_registered_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('paper_reason', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('paper_reason')
        batch_op.drop_column('paper_registered_on')
        batch_op.drop_column('paper_registrar')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('filed_elsewhere')
