"""Per-person course snapshots (issue 11 §2): the replay state after a day, so a request replays
only the days after it (derived data: dropping the table loses nothing); and program versions
stored as what changed from the version before, not the whole program each time
(store/program_delta.py; 1.3 MB → about 36 KB for a 90-day course). Downgrading writes every
program whole again.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from kneehab.store import program_delta  # its format is frozen (see there)

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


_VERSIONS = sa.table(
    "program_versions",
    sa.column("id", sa.Integer()),
    sa.column("person_id", sa.Integer()),
    sa.column("version", sa.Integer()),
    sa.column("program", sa.JSON()),
)


def _rewrite(convert: Callable[[list[Any]], list[Any]]) -> None:
    """Each person's program column, converted in version order (one person at a time)."""
    bind = op.get_bind()
    people = bind.execute(sa.select(_VERSIONS.c.person_id).distinct()).scalars().all()
    for person in people:
        rows = bind.execute(
            sa.select(_VERSIONS.c.id, _VERSIONS.c.program)
            .where(_VERSIONS.c.person_id == person)
            .order_by(_VERSIONS.c.version)
        ).all()
        for (row_id, old), new in zip(rows, convert([r.program for r in rows]), strict=True):
            if new != old:
                bind.execute(
                    sa.update(_VERSIONS).where(_VERSIONS.c.id == row_id).values(program=new)
                )


def _as_changes(stored: list[Any]) -> list[Any]:
    wholes = program_delta.decode_all(stored)
    if not all(isinstance(w, dict) for w in wholes):
        return stored  # a row that does not read: left as it is (restore's row checks name it)
    return program_delta.encode_all(wholes)


def upgrade() -> None:
    _rewrite(_as_changes)
    op.create_table(
        "course_snapshots",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("library", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("person_rules", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("records", sa.String(length=80), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_course_snapshots_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_course_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("course_snapshots")
    _rewrite(program_delta.decode_all)
