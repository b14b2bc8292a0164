"""Camera-coach sets waiting to be resumed (issue 13 §2): a dropped connection's set is parked in the
database, not in one process's memory, so the page resumes it on whichever server or worker its next
connection reaches (issue 11 §1: nothing in process memory that another process needs). Holds the motion
pipeline's running state only, never frames or landmarks; rows live two minutes. Derived: never backed up.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_parked",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("exercise", sa.String(length=64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_live_parked_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_live_parked")),
    )
    with op.batch_alter_table("live_parked") as batch:
        batch.create_index(batch.f("ix_live_parked_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_parked") as batch:
        batch.drop_index(batch.f("ix_live_parked_person_id"))
    op.drop_table("live_parked")
