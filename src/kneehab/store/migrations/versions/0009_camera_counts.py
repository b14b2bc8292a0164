"""A session entry may carry what the camera coach counted in each set (issue 13): one JSON column,
empty for every entry made before (and for every entry counted by hand).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session_entries") as batch:
        batch.add_column(sa.Column("camera", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_entries") as batch:
        batch.drop_column("camera")
