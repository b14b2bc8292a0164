"""Initial schema: persons, intakes, program versions, sessions, check-ins, outcomes, escalations.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("pain_ceiling", sa.Integer(), nullable=True),
        sa.Column("morning_tolerance", sa.Integer(), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("morning_pain", sa.Integer(), nullable=False),
        sa.Column("morning_stiffness", sa.Integer(), nullable=True),
        sa.Column("avg_pain", sa.Integer(), nullable=True),
        sa.Column("new_symptoms", sa.JSON(), nullable=False),
        sa.Column("chest_symptoms", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_checkins_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("person_id", "day", name=op.f("uq_checkins_person_id_day")),
    )
    op.create_index(op.f("ix_checkins_person_id"), "checkins", ["person_id"])
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_escalations_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("person_id", "day", name=op.f("uq_escalations_person_id_day")),
    )
    op.create_index(op.f("ix_escalations_person_id"), "escalations", ["person_id"])
    op.create_table(
        "intakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("triage_level", sa.String(length=20), nullable=False),
        sa.Column("triage", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_intakes_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intakes")),
    )
    op.create_index(op.f("ix_intakes_person_id"), "intakes", ["person_id"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.Column("responses", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_outcomes_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index(op.f("ix_outcomes_person_id"), "outcomes", ["person_id"])
    op.create_table(
        "player_states",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_player_states_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "day", name=op.f("pk_player_states")),
    )
    op.create_table(
        "program_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("exercise_id", sa.String(length=80), nullable=True),
        sa.Column("from_dose", sa.JSON(), nullable=True),
        sa.Column("to_dose", sa.JSON(), nullable=True),
        sa.Column("program", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_program_versions_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_versions")),
        sa.UniqueConstraint(
            "person_id", "version", name=op.f("uq_program_versions_person_id_version")
        ),
    )
    op.create_index(op.f("ix_program_versions_person_id"), "program_versions", ["person_id"])
    op.create_table(
        "session_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("exercise_id", sa.String(length=80), nullable=False),
        sa.Column("side_key", sa.String(length=10), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=True),
        sa.Column("sets_done", sa.Integer(), nullable=False),
        sa.Column("reps", sa.JSON(), nullable=True),
        sa.Column("hold_s", sa.JSON(), nullable=True),
        sa.Column("load_kg", sa.Float(), nullable=True),
        sa.Column("step_cm", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("pain_during_max", sa.Integer(), nullable=False),
        sa.Column("effort", sa.String(length=10), nullable=True),
        sa.Column("rir", sa.Integer(), nullable=True),
        sa.Column("sharp_pain", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("skip_reason", sa.Text(), nullable=False),
        sa.Column("paused_when_logged", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_session_entries_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_entries")),
        sa.UniqueConstraint(
            "person_id",
            "day",
            "exercise_id",
            "side_key",
            name=op.f("uq_session_entries_person_id_day_exercise_id_side_key"),
        ),
    )
    op.create_index(op.f("ix_session_entries_person_id"), "session_entries", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_session_entries_person_id"), table_name="session_entries")
    op.drop_table("session_entries")
    op.drop_index(op.f("ix_program_versions_person_id"), table_name="program_versions")
    op.drop_table("program_versions")
    op.drop_table("player_states")
    op.drop_index(op.f("ix_outcomes_person_id"), table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_index(op.f("ix_intakes_person_id"), table_name="intakes")
    op.drop_table("intakes")
    op.drop_index(op.f("ix_escalations_person_id"), table_name="escalations")
    op.drop_table("escalations")
    op.drop_index(op.f("ix_checkins_person_id"), table_name="checkins")
    op.drop_table("checkins")
    op.drop_table("persons")
