"""Rule book v2: each person records the rule book their course runs under (ADR 0004), and the
v2 dated events are kept: the person's swap choices (D-10), answers to "Ready to try" (D-12) and
clinician actions (D-7), one row each in `course_events`.

Every person already stored ran under rule book v1 (server default 1). `services.upgrade_rules()`
moves each of them to v2 with a dated `rules-v2` program version that says in plain words what
changed for that person; earlier rows are never rewritten. People enrolled from now on start at 2.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column("rules_version", sa.Integer(), nullable=False, server_default="1")
        )
    op.create_table(
        "course_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_course_events_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_events")),
    )
    op.create_index(op.f("ix_course_events_person_id"), "course_events", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_course_events_person_id"), table_name="course_events")
    op.drop_table("course_events")
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("rules_version")
