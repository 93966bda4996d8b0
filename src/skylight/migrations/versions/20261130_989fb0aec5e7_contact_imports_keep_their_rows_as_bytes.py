"""contact imports keep their rows as bytes: the UTF-8 file as uploaded, read a little at a time,
instead of text that Python holds whole (two bytes a character once one is Arabic)

Revision ID: 989fb0aec5e7
Revises: bd9761bff9c8
Create Date: 2026-11-30 17:46:03.877405
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "989fb0aec5e7"
down_revision: str | None = "bd9761bff9c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Imports under way keep their rows: converted, not dropped.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "contact_imports",
            "source",
            existing_type=sa.TEXT(),
            type_=sa.LargeBinary(),
            existing_nullable=True,
            postgresql_using="convert_to(source, 'UTF8')",
        )
        return
    with op.batch_alter_table("contact_imports", schema=None) as batch_op:
        batch_op.alter_column(
            "source", existing_type=sa.TEXT(), type_=sa.LargeBinary(), existing_nullable=True
        )
    op.execute("UPDATE contact_imports SET source = CAST(source AS BLOB) WHERE source IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "contact_imports",
            "source",
            existing_type=sa.LargeBinary(),
            type_=sa.TEXT(),
            existing_nullable=True,
            postgresql_using="convert_from(source, 'UTF8')",
        )
        return
    with op.batch_alter_table("contact_imports", schema=None) as batch_op:
        batch_op.alter_column(
            "source", existing_type=sa.LargeBinary(), type_=sa.TEXT(), existing_nullable=True
        )
    op.execute("UPDATE contact_imports SET source = CAST(source AS TEXT) WHERE source IS NOT NULL")
