"""One-time links may invite a self-managed person into a clinic (issue 10 §2: they join later and keep
their data): the link records the clinic it joins.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("one_time_links") as batch:
        batch.add_column(sa.Column("clinic_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("one_time_links") as batch:
        batch.drop_column("clinic_id")
