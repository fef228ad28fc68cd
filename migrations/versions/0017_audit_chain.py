"""The audit chain: seq, prev_hash, hash on every event; the chain head; refused-access windows.

Events already in the log are chained here, in id order, with the instance's AUDIT_KEY (the app
this upgrade runs in: `flask db upgrade` makes instance/audit_key when there is none).

Revision ID: 0017_audit_chain
Revises: 0016_provider_jobs
Create Date: 2026-11-30 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_audit_chain'
down_revision = '0016_provider_jobs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_seq'), ['seq'])
    op.create_table(
        'audit_chain',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('anchor_seq', sa.BigInteger(), nullable=False),
        sa.Column('anchor_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain')),
    )
    op.create_table(
        'audit_refusal_window',
        sa.Column('subject', sa.String(length=80), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('suppressed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('subject', 'action', name=op.f('pk_audit_refusal_window')),
    )
    _chain_existing_events()


def _chain_existing_events():
    from flask import current_app

    from portal.audit.chain import digest

    key = current_app.config['AUDIT_KEY']
    key = key.encode() if isinstance(key, str) else key
    connection = op.get_bind()
    events = sa.table(
        'audit_event',
        *(
            sa.column(name)
            for name in (
                'id', 'at', 'user_id', 'username', 'role', 'ip', 'action', 'object_type',
                'object_id', 'object_name', 'outcome', 'detail', 'seq', 'prev_hash', 'hash',
            )
        ),
    )
    seq, previous = 0, ''
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        seq += 1
        at = row['at']
        if isinstance(at, str):  # SQLite through a lightweight table: the stored text
            from datetime import datetime

            at = datetime.fromisoformat(at)
        content = {name: row[name] for name in row.keys()}
        for name in ('username', 'role', 'ip', 'object_type', 'object_id', 'object_name',
                     'detail'):
            content[name] = content[name] or ''
        value = digest(key, seq, previous, at, content)
        connection.execute(
            events.update()
            .where(events.c.id == row['id'])
            .values(seq=seq, prev_hash=previous, hash=value)
        )
        previous = value
    chain = sa.table(
        'audit_chain', sa.column('id'), sa.column('seq'), sa.column('hash'),
        sa.column('anchor_seq'), sa.column('anchor_hash'),
    )
    connection.execute(
        chain.insert().values(id=1, seq=seq, hash=previous, anchor_seq=0, anchor_hash='')
    )


def downgrade():
    op.drop_table('audit_refusal_window')
    op.drop_table('audit_chain')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
