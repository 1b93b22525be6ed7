"""status indexes: /status counts live records by agency over the season from covering indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 16:51:28.109482
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hire", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hire_live_agency_hired", ["deleted_at", "agency_id", "hired_on"], unique=False
        )
    with op.batch_alter_table("jobopening", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opening_live_agency_created", ["deleted_at", "agency_id", "created_at"],
            unique=False,
        )
    with op.batch_alter_table("jobseeker", schema=None) as batch_op:
        batch_op.create_index(
            "ix_seeker_live_agency_created", ["deleted_at", "agency_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("jobseeker", schema=None) as batch_op:
        batch_op.drop_index("ix_seeker_live_agency_created")
    with op.batch_alter_table("jobopening", schema=None) as batch_op:
        batch_op.drop_index("ix_opening_live_agency_created")
    with op.batch_alter_table("hire", schema=None) as batch_op:
        batch_op.drop_index("ix_hire_live_agency_hired")
