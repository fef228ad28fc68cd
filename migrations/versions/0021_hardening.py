"""Hardening (issue 23.5): the consumer running a job, and the job a certificate print belongs to.

A job's `worker` names the consumer process that runs it (host:pid:start), so a consumer that
starts can fail the jobs no live consumer owns; a bulk print's copies carry their job, so a
print that did not finish leaves no copies.

Revision ID: 0021_hardening
Revises: 0020_flow
Create Date: 2026-12-07 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_hardening'
down_revision = '0020_flow'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker', sa.String(length=100), nullable=False, server_default=''))
    with op.batch_alter_table('certificate_print', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificate_print_job_id'), ['job_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_certificate_print_job_id_job'), 'job', ['job_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('certificate_print', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificate_print_job_id_job'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_certificate_print_job_id'))
        batch_op.drop_column('job_id')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('worker')
