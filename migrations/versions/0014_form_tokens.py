"""One-time form tokens: the first use of a create form's token and what it answered.

Revision ID: 0014_form_tokens
Revises: 0013_stats
Create Date: 2026-11-30 16:20:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models_base


# revision identifiers, used by Alembic.
revision = '0014_form_tokens'
down_revision = '0013_stats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_token',
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=80), nullable=False),
    sa.Column('created_at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=2000), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_form_token_user_id_user')),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_form_token'))
    )
    with op.batch_alter_table('form_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_token_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('form_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_form_token_created_at'))

    op.drop_table('form_token')
