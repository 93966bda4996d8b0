from __future__ import annotations

from skylight.channels.types import ChannelType
from skylight.conversations.repository import ConversationRepository
from skylight.conversations.schemas import ConversationOut
from skylight.kit.db import Database
from skylight.kit.pagination import PageParams


async def list_conversations(
    db: Database,
    workspace_id: int,
    page: PageParams,
    *,
    channel: ChannelType | None,
    contact_id: int | None,
) -> tuple[list[ConversationOut], int]:
    """Most recent first, straight from the maintained conversations table."""
    async with db.transaction() as session:
        rows, total = await ConversationRepository(session, workspace_id).page(
            channel=channel, contact_id=contact_id, offset=page.offset, limit=page.per_page
        )
        return [ConversationOut.build(row, name) for row, name in rows], total
