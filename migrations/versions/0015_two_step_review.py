"""Two-step yearly review (seed 003 五): who checks a series' professional claims first, and
the first step of a declaration (who, when, why).

Revision ID: 0015_two_step_review
Revises: 0014_form_tokens
Create Date: 2026-11-30 16:00:00

"""
from alembic import op
import sqlalchemy as sa

from portal.models_base import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0015_two_step_review'
down_revision = '0014_form_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('title_series', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'first_review',
                sa.Enum('AUTHORITY', 'UNIT', name='firstreview', native_enum=False, length=10),
                server_default='AUTHORITY',
                nullable=False,
            )
        )
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'first_step',
                sa.Enum('AUTHORITY', 'UNIT', name='firstreview', native_enum=False, length=10),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column('first_step_authority_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_reviewer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_reviewed_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('first_review_note', sa.Text(), server_default='', nullable=False)
        )
        batch_op.create_index(
            batch_op.f('ix_declaration_first_step_authority_id'),
            ['first_step_authority_id'],
            unique=False,
        )
        batch_op.create_foreign_key(
            'fk_declaration_first_step_authority_id_authority',
            'authority',
            ['first_step_authority_id'],
            ['id'],
        )
        batch_op.create_foreign_key(
            'fk_declaration_first_reviewer_id_user', 'user', ['first_reviewer_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_constraint('fk_declaration_first_reviewer_id_user', type_='foreignkey')
        batch_op.drop_constraint(
            'fk_declaration_first_step_authority_id_authority', type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_declaration_first_step_authority_id'))
        batch_op.drop_column('first_review_note')
        batch_op.drop_column('first_reviewed_at')
        batch_op.drop_column('first_reviewer_id')
        batch_op.drop_column('first_step_authority_id')
        batch_op.drop_column('first_step')
    with op.batch_alter_table('title_series', schema=None) as batch_op:
        batch_op.drop_column('first_review')
