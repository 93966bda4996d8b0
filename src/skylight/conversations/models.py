from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from skylight.channels.types import ChannelType, channel_type_enum
from skylight.kit.models import Base


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_recent", "workspace_id", "last_message_at", "contact_id"),
        Index(
            "ix_conversations_channel_recent",
            "workspace_id",
            "channel",
            "last_message_at",
            "contact_id",
        ),
    )

    # One per contact: the contact's id is the key.
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel: Mapped[ChannelType] = mapped_column(channel_type_enum())
    last_message: Mapped[str] = mapped_column(Text)
    last_message_id: Mapped[int]
    last_message_at: Mapped[datetime]
    unread_count: Mapped[int] = mapped_column(default=0)
