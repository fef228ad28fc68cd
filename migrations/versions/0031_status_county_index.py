"""The declarations in review read by state within a county: (status, jurisdiction_code)
instead of status alone.

Revision ID: 0031_status_county_index
Revises: 0030_batch_county_index
Create Date: 2026-12-07 19:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0031_status_county_index"
down_revision = "0030_batch_county_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_declaration_status_county", ["status", "jurisdiction_code"], unique=False
        )
        batch_op.drop_index("ix_declaration_status")
    # SQLite's planner weighs an index by its statistics (0028's note): give it the new one's.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE declaration")


def downgrade():
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index("ix_declaration_status", ["status"], unique=False)
        batch_op.drop_index("ix_declaration_status_county")
