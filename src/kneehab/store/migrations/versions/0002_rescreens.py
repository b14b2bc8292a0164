"""Re-screens: red flags answered again mid-course, each acting from its own day (RULES §1.1).

Before this revision a re-screen was merged into a new intake row; those rows are left as they are.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rescreens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("red_flags", sa.JSON(), nullable=False),
        sa.Column("cold_foot", sa.Boolean(), nullable=False),
        sa.Column("chest_symptoms", sa.Boolean(), nullable=False),
        sa.Column("new_injury", sa.Boolean(), nullable=False),
        sa.Column("triage_level", sa.String(length=20), nullable=False),
        sa.Column("triage", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_rescreens_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescreens")),
    )
    op.create_index(op.f("ix_rescreens_person_id"), "rescreens", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rescreens_person_id"), table_name="rescreens")
    op.drop_table("rescreens")
