"""People pages: employer-change requests (asked by the person or entered by the new unit,
confirmed by the new unit's reviewer or the bureau), and a declaration's source (portal, or a
paper year entered from its 继续教育证书; existing rows are portal years), and the per-person
transition mark 老人老办法 (existing people start unmarked; the bureau's bulk rule marks them),
补登记 years the bureau opens for one person, and one-time activation codes (keyed hash only).

Revision ID: c9b7e2a41d05
Revises: 7f7230d60bb8
Create Date: 2026-11-30 13:50:58.813785

"""
from alembic import op
import sqlalchemy as sa

import portal.models_base


# revision identifiers, used by Alembic.
revision = 'c9b7e2a41d05'
down_revision = '7f7230d60bb8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('move_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('from_unit_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'CONFIRMED', 'REFUSED', name='movestatus', native_enum=False, length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_move_request_decided_by_id_user')),
    sa.ForeignKeyConstraint(['from_unit_id'], ['unit.id'], name=op.f('fk_move_request_from_unit_id_unit')),
    sa.ForeignKeyConstraint(['professional_id'], ['professional.id'], name=op.f('fk_move_request_professional_id_professional')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_move_request_requested_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_move_request_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_move_request'))
    )
    with op.batch_alter_table('move_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_move_request_professional_id'), ['professional_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_move_request_unit_id'), ['unit_id'], unique=False)

    op.create_table('activation_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', portal.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_activation_code_created_by_id_user')),
    sa.ForeignKeyConstraint(['professional_id'], ['professional.id'], name=op.f('fk_activation_code_professional_id_professional')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_code'))
    )
    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_code_professional_id'), ['professional_id'], unique=False)

    op.create_table('late_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_late_year_opened_by_id_user')),
    sa.ForeignKeyConstraint(['professional_id'], ['professional.id'], name=op.f('fk_late_year_professional_id_professional')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_year')),
    sa.UniqueConstraint('professional_id', 'year', name=op.f('uq_late_year_professional_id'))
    )
    with op.batch_alter_table('late_year', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_late_year_professional_id'), ['professional_id'], unique=False)

    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.Enum('PORTAL', 'PAPER', name='declarationsource', native_enum=False, length=10), nullable=False, server_default='PORTAL'))
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.alter_column('source', server_default=None)

    with op.batch_alter_table('professional', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keeps_old_rules', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('professional', schema=None) as batch_op:
        batch_op.alter_column('keeps_old_rules', server_default=None)



def downgrade():
    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_code_professional_id'))
    op.drop_table('activation_code')

    with op.batch_alter_table('late_year', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_late_year_professional_id'))
    op.drop_table('late_year')

    with op.batch_alter_table('professional', schema=None) as batch_op:
        batch_op.drop_column('keeps_old_rules')

    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('source')

    with op.batch_alter_table('move_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_move_request_unit_id'))
        batch_op.drop_index(batch_op.f('ix_move_request_professional_id'))

    op.drop_table('move_request')
