"""Re-screens say whether they were the full set (RULES §1.1): the short questions before each
session, and the symptom words of a stop or a check-in, are kept as re-screens too, and only the full
set may restart the weekly clock. Rows stored before this cannot tell, so they are taken as short
sets (server default false): the conservative reading, which asks the weekly full set sooner.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rescreens") as batch:
        batch.add_column(
            sa.Column("full_set", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("rescreens") as batch:
        batch.drop_column("full_set")
