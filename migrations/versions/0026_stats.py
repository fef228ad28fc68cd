"""Statistics snapshots: the figures of each jurisdiction and year, computed by a job and read
by the statistics pages (stats_snapshot, one row per line of its tables in stats_row).

Revision ID: 0026_stats
Revises: 0023_jurisdictions
Create Date: 2026-12-07 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models_base


# revision identifiers, used by Alembic.
revision = '0026_stats'
down_revision = '0023_jurisdictions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('computed_at', portal.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdiction.code'], name=op.f('fk_stats_snapshot_jurisdiction_code_jurisdiction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_snapshot')),
    sa.UniqueConstraint('jurisdiction_code', 'year', name=op.f('uq_stats_snapshot_jurisdiction_code'))
    )
    op.create_table('stats_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('grouping', sa.String(length=12), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('clause', sa.String(length=40), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('declared', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('compliant', sa.Integer(), nullable=False),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.Column('general', sa.Integer(), nullable=False),
    sa.Column('professional', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['stats_snapshot.id'], name=op.f('fk_stats_row_snapshot_id_stats_snapshot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_row'))
    )
    op.create_index('ix_stats_row_snapshot_grouping', 'stats_row', ['snapshot_id', 'grouping', 'position'], unique=False)


def downgrade():
    op.drop_index('ix_stats_row_snapshot_grouping', table_name='stats_row')
    op.drop_table('stats_row')
    op.drop_table('stats_snapshot')
