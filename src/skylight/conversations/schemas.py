from __future__ import annotations

from pydantic import BaseModel

from skylight.channels.types import ChannelType
from skylight.conversations.models import Conversation
from skylight.kit.time import ApiDateTime


class ConversationOut(BaseModel):
    contact_id: int
    contact_name: str
    channel: ChannelType
    last_message: str
    last_message_at: ApiDateTime
    unread_count: int

    @classmethod
    def build(cls, row: Conversation, contact_name: str) -> ConversationOut:
        return cls(
            contact_id=row.contact_id,
            contact_name=contact_name,
            channel=row.channel,
            last_message=row.last_message,
            last_message_at=row.last_message_at,
            unread_count=row.unread_count,
        )
