"""Audit events name their object (王晓梅 2025年度申报), empty for earlier rows

Revision ID: 812615c3a5ce
Revises: 05f829a68881
Create Date: 2026-11-30 12:57:04.128410

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '812615c3a5ce'
down_revision = '05f829a68881'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_name', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('object_name')
