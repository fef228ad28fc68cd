"""The statistics snapshot's revision: a new random token each time its rows are written, by
which the statistics page keeps its rendered figures (portal.stats.rendered).

Revision ID: 0029_stats_revision
Revises: 0028_city
Create Date: 2026-12-07 18:10:00

"""

from uuid import uuid4

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029_stats_revision"
down_revision = "0028_city"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stats_snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.String(length=32), nullable=True))
    snapshot = sa.table("stats_snapshot", sa.column("id"), sa.column("revision"))
    bind = op.get_bind()
    for (snapshot_id,) in bind.execute(sa.select(snapshot.c.id)).all():
        bind.execute(
            snapshot.update()
            .where(snapshot.c.id == snapshot_id)
            .values(revision=uuid4().hex)
        )
    with op.batch_alter_table("stats_snapshot", schema=None) as batch_op:
        batch_op.alter_column("revision", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("stats_snapshot", schema=None) as batch_op:
        batch_op.drop_column("revision")
