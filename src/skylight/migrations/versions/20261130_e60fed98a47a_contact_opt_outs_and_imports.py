"""contact opt-outs and imports: contacts.opted_out_at (+ when it was last decided) and the
contact_imports table (an import's rows until it ends, its progress and row errors)

Revision ID: e60fed98a47a
Revises: 585a7e416679
Create Date: 2026-11-30 17:08:20.692063
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import skylight.kit.models

revision: str = "e60fed98a47a"
down_revision: str | None = "585a7e416679"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("delimiter", sa.String(length=1), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("row_errors", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("started_at", skylight.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", skylight.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", skylight.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", skylight.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_contact_imports_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_imports")),
    )
    with op.batch_alter_table("contact_imports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_imports_workspace_id_id", ["workspace_id", "id"], unique=False
        )

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("opted_out_at", skylight.kit.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "opt_changed_at", skylight.kit.models.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("opt_changed_at")
        batch_op.drop_column("opted_out_at")

    with op.batch_alter_table("contact_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_imports_workspace_id_id")

    op.drop_table("contact_imports")
