from __future__ import annotations

from skylight.apikeys.service import Caller
from skylight.channels.types import ChannelType
from skylight.contacts.service import get_contact
from skylight.conversations.models import Conversation
from skylight.conversations.repository import ConversationRepository
from skylight.conversations.schemas import ConversationOut
from skylight.events.repository import lock_workspace_writes
from skylight.kit.db import Database
from skylight.kit.errors import NotFound
from skylight.kit.pagination import PageParams
from skylight.kit.time import utcnow
from skylight.messages.repository import MessageRepository


def _out(row: Conversation, name: str) -> ConversationOut:
    return ConversationOut(
        contact_id=row.contact_id,
        contact_name=name,
        channel=row.channel,
        last_message=row.last_message,
        last_message_at=row.last_message_at,
        unread_count=row.unread_count,
    )


async def list_conversations(
    db: Database,
    caller: Caller,
    page: PageParams,
    *,
    channel: ChannelType | None,
    contact_id: int | None,
) -> tuple[list[ConversationOut], int]:
    """Most recent first, straight from the maintained conversations table."""
    async with db.transaction() as session:
        rows, total = await ConversationRepository(session, caller.workspace_id).page(
            channel=channel, contact_id=contact_id, offset=page.offset, limit=page.per_page
        )
        return [_out(row, name) for row, name in rows], total


async def mark_read(db: Database, caller: Caller, contact_id: int) -> ConversationOut:
    async with db.transaction() as session:
        await lock_workspace_writes(session, caller.workspace_id)
        contact = await get_contact(session, caller.workspace_id, contact_id)
        marked = await MessageRepository(session, caller.workspace_id).mark_inbound_read(
            contact_id, utcnow()
        )
        conversations = ConversationRepository(session, caller.workspace_id)
        await conversations.mark_read(contact_id, marked)
        row = await conversations.get(contact_id)
        if row is None:
            raise NotFound(f"No conversation with contact {contact_id} yet.")
        await session.refresh(row)
        return _out(row, contact.name)
