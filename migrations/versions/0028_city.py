"""A city of counties (issue 24.6): the counties a person's record was handed on from.

Revision ID: 0028_city
Revises: 0027_separation
Create Date: 2026-12-07 06:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028_city"
down_revision = "0027_separation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "former_jurisdiction",
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdiction.code"],
            name=op.f("fk_former_jurisdiction_jurisdiction_code_jurisdiction"),
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professional.id"],
            name=op.f("fk_former_jurisdiction_professional_id_professional"),
        ),
        sa.PrimaryKeyConstraint(
            "professional_id", "jurisdiction_code", name=op.f("pk_former_jurisdiction")
        ),
    )
    with op.batch_alter_table("former_jurisdiction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_former_jurisdiction_jurisdiction_code"),
            ["jurisdiction_code"],
            unique=False,
        )
    # The jurisdiction_code indexes of 0023 and 0027 have no statistics yet: SQLite's planner
    # would take them for selective (in one county every row has the same code) and read a
    # county's rows through them. ANALYZE once here; PostgreSQL's autovacuum does it itself.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE")


def downgrade():
    with op.batch_alter_table("former_jurisdiction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_former_jurisdiction_jurisdiction_code"))
    op.drop_table("former_jurisdiction")
