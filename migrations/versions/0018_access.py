"""Access: self-registrations held as requests, forced password change, objection numbers.

Revision ID: 0018_access
Revises: 0017_audit_chain
Create Date: 2026-12-07 03:00:00

"""

from alembic import op
import sqlalchemy as sa

from portal.models_base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0018_access"
down_revision = "0017_audit_chain"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_objection_reference"), ["reference"])
    op.create_table(
        "registration_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("works_since", sa.Date(), nullable=True),
        sa.Column("title_series", sa.String(length=50), nullable=False),
        sa.Column("title_level", sa.String(length=20), nullable=False),
        sa.Column("title_name", sa.String(length=50), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "CONFIRMED",
                "REFUSED",
                "SUPERSEDED",
                name="registrationstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_registration_request_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professional.id"],
            name=op.f("fk_registration_request_professional_id_professional"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_registration_request_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_registration_request_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_request")),
        sa.UniqueConstraint("user_id", name=op.f("uq_registration_request_user_id")),
    )
    with op.batch_alter_table("registration_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_request_professional_id"), ["professional_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registration_request_status"), ["status"], unique=False
        )


def downgrade():
    with op.batch_alter_table("registration_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_request_status"))
        batch_op.drop_index(batch_op.f("ix_registration_request_professional_id"))
    op.drop_table("registration_request")
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_objection_reference"), type_="unique")
        batch_op.drop_column("reference")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
