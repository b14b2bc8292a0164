"""The audit trail's anchor (issue 10 §6): one row holding the number of rows and the newest row's
hash, updated with each append, so `kneehab audit verify` also sees rows removed from the end (the
chain alone proves only what lies between its rows). Filled here from the trail as it stands.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    bind = op.get_bind()
    count = bind.execute(sa.text("SELECT COUNT(*) FROM audit_log")).scalar_one()
    if count:
        last = bind.execute(
            sa.text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        op.bulk_insert(head, [{"id": 1, "rows": count, "hash": last}])


def downgrade() -> None:
    op.drop_table("audit_head")
