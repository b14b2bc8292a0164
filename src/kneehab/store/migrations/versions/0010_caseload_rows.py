"""The nightly scan's results (issue 11 §3): each person's caseload row for a date, computed from their
records at a revision. `persons.revision` goes up with every change to a person's records (taken with
the person's lock), so a stored row is used only while nothing newer exists. Derived data: rebuilt by
`kneehab scan` or on the first look; never backed up.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "caseload_rows",
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("persons.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("caseload_rows")
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("revision")
