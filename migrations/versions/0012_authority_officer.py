"""The authority officer (行业主管部门经办人): a staff account acting for one authority.

Revision ID: 0012_authority_officer
Revises: 7a10c0de5e01
Create Date: 2026-11-30 15:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_authority_officer'
down_revision = '7a10c0de5e01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authority_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_user_authority_id_authority', 'authority', ['authority_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('fk_user_authority_id_authority', type_='foreignkey')
        batch_op.drop_column('authority_id')
