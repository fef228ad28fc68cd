"""Hardening (issue 14): a 128-bit token for each certificate print's QR link, and the table
that counts short-code lookups per address

Revision ID: 0005_hardening
Revises: 6a1f0c9e2b16
Create Date: 2026-11-30 13:45:00

"""
import base64
import secrets

from alembic import op
import sqlalchemy as sa

import portal.models_base


# revision identifiers, used by Alembic.
revision = '0005_hardening'
down_revision = '6a1f0c9e2b16'
branch_labels = None
depends_on = None


def _token() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")


def upgrade():
    op.create_table('certificate_lookup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_lookup'))
    )
    with op.batch_alter_table('certificate_lookup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_lookup_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_lookup_ip'), ['ip'], unique=False)

    with op.batch_alter_table('certificate_print', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=40), nullable=True))
    # Copies printed before: each gets its own token (their paper keeps the short code only).
    connection = op.get_bind()
    prints = sa.table('certificate_print', sa.column('id', sa.Integer), sa.column('token', sa.String))
    for (print_id,) in connection.execute(sa.select(prints.c.id)).all():
        connection.execute(prints.update().where(prints.c.id == print_id).values(token=_token()))
    with op.batch_alter_table('certificate_print', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_print_token'), ['token'])


def downgrade():
    with op.batch_alter_table('certificate_print', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certificate_print_token'), type_='unique')
        batch_op.drop_column('token')

    with op.batch_alter_table('certificate_lookup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_lookup_ip'))
        batch_op.drop_index(batch_op.f('ix_certificate_lookup_at'))

    op.drop_table('certificate_lookup')
