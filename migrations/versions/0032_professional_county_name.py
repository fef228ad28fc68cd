"""A county's people in name order from one index: (jurisdiction_code, name, id) on
professional, for a bureau's people list and name search on an instance of many counties
(people.service.people_of).

Revision ID: 0032_professional_county_name
Revises: 0031_status_county_index
Create Date: 2026-12-08 01:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0032_professional_county_name"
down_revision = "0031_status_county_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("professional", schema=None) as batch_op:
        batch_op.create_index(
            "ix_professional_county_name", ["jurisdiction_code", "name", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("professional", schema=None) as batch_op:
        batch_op.drop_index("ix_professional_county_name")
