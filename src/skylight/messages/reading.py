"""Marking a conversation read: its inbound messages become read and its unread count zero.
Messages owns it because it moves message statuses; conversations is the read model."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.contacts.service import get_contact
from skylight.conversations.repository import ConversationRepository
from skylight.conversations.schemas import ConversationOut
from skylight.kit.errors import NotFound
from skylight.kit.locks import lock_workspace_writes
from skylight.kit.time import utcnow
from skylight.messages import transitions


async def mark_conversation_read(
    session: AsyncSession, workspace_id: int, contact_id: int
) -> ConversationOut:
    await lock_workspace_writes(session, workspace_id)
    contact = await get_contact(session, workspace_id, contact_id)
    marked = await transitions.inbound_read(session, workspace_id, contact_id, utcnow())
    conversations = ConversationRepository(session, workspace_id)
    await conversations.mark_read(contact_id, marked)
    row = await conversations.get(contact_id)
    if row is None:
        raise NotFound(f"No conversation with contact {contact_id} yet.")
    await session.refresh(row)
    return ConversationOut.build(row, contact.name)
