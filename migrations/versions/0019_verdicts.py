"""Two-step review: the city's second step for senior-title holders (seed 003 五(二)).

Revision ID: 0019_verdicts
Revises: 0018_access
Create Date: 2026-12-07 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_verdicts'
down_revision = '0018_access'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('second_step_city', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('second_step_city')
