"""Contacts: Unipile's internal id of the person (Telegram/Instagram sends need it);
messages: an index for the sends still waiting for a receipt

Revision ID: 04cd5e46b3cf
Revises: 989fb0aec5e7
Create Date: 2026-11-30 17:14:06.822464
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import skylight.kit.models  # noqa: F401 (column types of ours)

revision: str = "04cd5e46b3cf"
down_revision: str | None = "989fb0aec5e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.String(length=255), nullable=True))
        batch_op.create_index(
            "ix_contacts_workspace_channel_provider_id",
            ["workspace_id", "channel", "provider_id"],
            unique=False,
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_workspace_status_sent_at",
            ["workspace_id", "status", "sent_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_workspace_status_sent_at")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_workspace_channel_provider_id")
        batch_op.drop_column("provider_id")
