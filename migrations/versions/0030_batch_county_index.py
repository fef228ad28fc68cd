"""A batch's records counted from an index: (batch_id, jurisdiction_code) instead of batch_id
alone, so the county scope's criterion is answered from the index (board.service.batches).

Revision ID: 0030_batch_county_index
Revises: 0029_stats_revision
Create Date: 2026-12-07 18:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0030_batch_county_index"
down_revision = "0029_stats_revision"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_declaration_batch_county", ["batch_id", "jurisdiction_code"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_declaration_batch_id"))


def downgrade():
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declaration_batch_id"), ["batch_id"], unique=False)
        batch_op.drop_index("ix_declaration_batch_county")
