"""Unipile's messaging webhooks are queued in the inbox (their body until applied)

Revision ID: 30afd1a78674
Revises: c6556e5354ff
Create Date: 2026-11-30 19:30:36.806319
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import skylight.kit.models

revision: str = "30afd1a78674"
down_revision: str | None = "c6556e5354ff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = sa.text("applied_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("unipile_inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("applied_at", skylight.kit.models.UTCDateTime(timezone=True), nullable=True)
        )
    # Every entry so far was applied as it arrived.
    op.execute("UPDATE unipile_inbox SET applied_at = received_at")
    with op.batch_alter_table("unipile_inbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unipile_inbox_queued",
            ["id"],
            unique=False,
            sqlite_where=QUEUED,
            postgresql_where=QUEUED,
        )


def downgrade() -> None:
    with op.batch_alter_table("unipile_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_unipile_inbox_queued", sqlite_where=QUEUED, postgresql_where=QUEUED)
        batch_op.drop_column("applied_at")
        batch_op.drop_column("payload")
