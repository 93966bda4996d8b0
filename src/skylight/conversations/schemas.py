from __future__ import annotations

from pydantic import BaseModel

from skylight.channels.types import ChannelType
from skylight.kit.time import ApiDateTime


class ConversationOut(BaseModel):
    contact_id: int
    contact_name: str
    channel: ChannelType
    last_message: str
    last_message_at: ApiDateTime
    unread_count: int
