from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from skylight.channels.types import ChannelType, channel_type_enum
from skylight.kit.models import Base, TimestampMixin


class Contact(TimestampMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel", "handle"),
        Index("ix_contacts_workspace_id_id", "workspace_id", "id"),
        # Inbound messages name their sender by this id.
        Index(
            "ix_contacts_workspace_channel_provider_id", "workspace_id", "channel", "provider_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[ChannelType] = mapped_column(channel_type_enum())
    phone: Mapped[str | None] = mapped_column(String(20))
    username: Mapped[str | None] = mapped_column(String(64))
    # How the channel addresses this person (E.164 phone or lower-cased username); unique per
    # channel in a workspace. Derived from phone/username by the service.
    handle: Mapped[str] = mapped_column(String(64))
    # Unipile's internal id for this person (Telegram/Instagram: numeric; Instagram: the
    # provider_messaging_id a new chat is addressed to), learnt from GET /users or an inbound
    # message. Never shown by the API.
    provider_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # Set while the person does not want campaigns (they wrote STOP, or someone said so).
    opted_out_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the opt-out state was last decided (by a keyword's message time or a PATCH): an
    # older STOP or START, e.g. one reconciliation catches up later, changes nothing.
    opt_changed_at: Mapped[datetime | None] = mapped_column(default=None)


class ContactImport(TimestampMixin, Base):
    """One bulk import: its rows (until it is done), where it got to, and what it did."""

    __tablename__ = "contact_imports"
    __table_args__ = (Index("ix_contact_imports_workspace_id_id", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    # csv, or json (an array, stored as CSV; its rows are numbered by position).
    format: Mapped[str] = mapped_column(String(8))
    delimiter: Mapped[str] = mapped_column(String(1), default=",")
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    total: Mapped[int] = mapped_column(default=0)
    # Rows done, each batch committed with its contacts: a new run starts from here.
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    # The first row errors, as JSON: [{"line", "field", "reason"}].
    row_errors: Mapped[str] = mapped_column(Text, default="[]")
    # Why the import stopped, when it failed as a whole.
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The uploaded rows (UTF-8 CSV); dropped when the import ends. Deferred: only the job
    # reads it.
    source: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, default=None))
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
