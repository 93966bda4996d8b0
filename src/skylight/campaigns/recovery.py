"""Did a campaign message reach Unipile? Asked when its sender died or Unipile did not answer in
time, before anything is sent again: the chat with the attendee, and in it a message the account
sent with the same text since the message was stored.

A message found is one the account sent; it counts only if no other message of ours claims it
already (the same text may have gone to the same person another way)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.pagination import iterate_pages
from skylight.integrations.unipile.schemas import Message as UnipileMessage
from skylight.messages import transitions
from skylight.messages.repository import ChatRepository, MessageRepository
from skylight.messages.service import Route


@dataclass(frozen=True)
class Lookup:
    chat_id: str | None
    # Messages the account sent with the text, oldest first.
    candidates: list[UnipileMessage]


async def look_up(unipile: UnipileClient, route: Route, text: str, since: datetime) -> Lookup:
    chat_id = route.chat_id
    if chat_id is None:
        # Only chats active since then can hold it.
        chats = iterate_pages(
            lambda c: unipile.list_chats(route.account_id, cursor=c, limit=100, after=since)
        )
        async for chat in chats:
            if chat.attendee_provider_id == route.attendee_id:
                chat_id = chat.id
                break
    if chat_id is None:
        return Lookup(None, [])
    found: list[UnipileMessage] = []
    messages = iterate_pages(
        lambda c: unipile.list_chat_messages(chat_id, cursor=c, limit=100, after=since)
    )
    async for message in messages:
        if message.is_sender and (message.text or "") == text:
            found.append(message)
    found.sort(key=lambda m: m.timestamp)
    return Lookup(chat_id, found)


async def claim_found(session: AsyncSession, route: Route, lookup: Lookup) -> bool:
    """Record the first candidate no other message of ours has as the route's message: True
    when the message is sent (now, or already by its echo)."""
    messages = MessageRepository(session, route.workspace_id)
    for candidate in lookup.candidates:
        owner = await messages.by_unipile_id(candidate.id)
        if owner is not None and owner.id != route.message_id:
            continue
        assert lookup.chat_id is not None
        # Found at Unipile: sent, even if reconciliation had failed it meanwhile (revived).
        await transitions.sent(
            session,
            route.workspace_id,
            route.message_id,
            at=candidate.timestamp,
            unipile_message_id=candidate.id,
            chat_id=lookup.chat_id,
            revive=True,
        )
        await ChatRepository(session, route.workspace_id).remember(
            contact_id=route.contact_id,
            account_id=route.account_id,
            chat_id=lookup.chat_id,
            attendee_provider_id=route.attendee_id,
        )
        return True
    return False
