"""Provider imports run as background jobs: one row per uploaded list or courseware file; an
authority files its own trainings (training_plan.authority_id).

Revision ID: 0016_provider_jobs
Revises: 0015_two_step_review
Create Date: 2026-11-30 16:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models_base


# revision identifiers, used by Alembic.
revision = '0016_provider_jobs'
down_revision = '0015_two_step_review'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('provider_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('LIST', 'COURSEWARE', name='importkind', native_enum=False, length=12), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('clean_rows', sa.Boolean(), nullable=False),
    sa.Column('unmatched_file', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_provider_import_created_by_id_user')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_provider_import_job_id_job')),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plan.id'], name=op.f('fk_provider_import_plan_id_training_plan')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_import_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_import')),
    sa.UniqueConstraint('job_id', name=op.f('uq_provider_import_job_id'))
    )
    with op.batch_alter_table('provider_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_import_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_import_provider_id'), ['provider_id'], unique=False)

    with op.batch_alter_table('training_plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authority_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_training_plan_authority_id'), ['authority_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_training_plan_authority_id_authority'), 'authority', ['authority_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('training_plan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_training_plan_authority_id_authority'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_training_plan_authority_id'))
        batch_op.drop_column('authority_id')

    with op.batch_alter_table('provider_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_import_provider_id'))
        batch_op.drop_index(batch_op.f('ix_provider_import_plan_id'))

    op.drop_table('provider_import')
