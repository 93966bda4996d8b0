from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skylight.channels.types import ChannelType, channel_type_enum
from skylight.files.models import File, MessageAttachment
from skylight.kit.models import Base
from skylight.kit.time import utcnow


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # History pages and their counts: one contact of one workspace, newest first. The
        # workspace leads so the planner (SQLite's especially) never prefers the bare workspace
        # index and counts the whole workspace (seen in bench/: 1M/10k went from 34x to 1.1x).
        Index(
            "ix_messages_workspace_contact_history",
            "workspace_id",
            "contact_id",
            "occurred_at",
            "id",
        ),
        # One direction of a contact; it also serves the ON DELETE CASCADE from contacts.
        Index("ix_messages_contact_direction", "contact_id", "direction", "occurred_at", "id"),
        # Unread inbound messages of a contact, for marking them read.
        Index("ix_messages_contact_unread", "contact_id", "direction", "status"),
        # Recent sends still waiting for a receipt (reconciliation re-reads their flags).
        Index("ix_messages_workspace_status_sent_at", "workspace_id", "status", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[ChannelType] = mapped_column(channel_type_enum())
    direction: Mapped[str] = mapped_column(String(8))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # Unipile's ids: the same Unipile message is stored once, however often it arrives.
    unipile_message_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    unipile_chat_id: Mapped[str | None] = mapped_column(String(128))
    # When it happened (the provider's time for inbound); orders the history.
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Part of every message the API shows, so loaded with it (one IN query per batch of
    # messages) rather than lazily: an async session cannot load lazily.
    attachments: Mapped[list[File]] = relationship(
        secondary=MessageAttachment.__table__,
        order_by=MessageAttachment.position,
        lazy="selectin",
        viewonly=True,
    )


class Chat(Base):
    """A Unipile chat with one contact on one connected account."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("contact_id", "unipile_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    unipile_account_id: Mapped[str] = mapped_column(String(128))
    unipile_chat_id: Mapped[str] = mapped_column(String(128), unique=True)
    attendee_provider_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
