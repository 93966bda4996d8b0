"""Messages Unipile tells us about, by webhook or by reconciliation, stored exactly once.

The same Unipile message id is stored once however often and in whatever order it arrives.
A message the account sent itself is outbound: either the echo of one we sent through the API
(matched to it, even when the echo beats our own record of Unipile's id) or one sent from the
phone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.models import Channel
from skylight.channels.repository import AccountLookup
from skylight.contacts import optout
from skylight.contacts.lookup import find_or_create
from skylight.contacts.repository import ContactRepository
from skylight.contacts.schemas import ContactOut
from skylight.conversations.repository import ConversationRepository
from skylight.events.service import emit
from skylight.files import inbound as inbound_files
from skylight.integrations.unipile.attachments import Attachment
from skylight.kit.locks import lock_workspace_writes
from skylight.kit.time import utcnow
from skylight.messages import transitions
from skylight.messages.events import message_event_by_id
from skylight.messages.repository import ChatRepository, MessageRepository
from skylight.messages.types import Direction, MessageStatus

# A copy of a message we failed as never confirmed revives it if it arrives within this long of
# the message's creation; later, the same text is a new message written on the phone.
REVIVE_WITHIN = timedelta(days=1)


@dataclass(frozen=True)
class Incoming:
    account_id: str
    chat_id: str
    message_id: str
    text: str | None
    at: datetime
    from_account: bool
    # The other person in the 1:1 chat (Unipile's id), their display name when known, and
    # their public username when the attendee shows it (Telegram, Instagram).
    counterpart_id: str | None
    counterpart_name: str | None
    counterpart_username: str | None = None
    # Recorded with the message; their bytes are fetched afterwards (files.fetching).
    attachments: Sequence[Attachment] = field(default_factory=tuple)


async def _owning_channel(session: AsyncSession, account_id: str) -> Channel | None:
    return await AccountLookup(session).channel(account_id)


async def ingest(session: AsyncSession, incoming: Incoming) -> bool:
    """Store one message; False when it was known already or is not ours."""
    channel = await _owning_channel(session, incoming.account_id)
    if channel is None:
        return False
    workspace_id = channel.workspace_id
    await lock_workspace_writes(session, workspace_id)
    messages = MessageRepository(session, workspace_id)
    if await messages.by_unipile_id(incoming.message_id) is not None:
        return False
    chats = ChatRepository(session, workspace_id)
    chat = await chats.by_unipile_id(incoming.chat_id)
    if chat is not None:
        contact_id = chat.contact_id
    elif incoming.counterpart_id:
        contact, created = await find_or_create(
            ContactRepository(session, workspace_id),
            channel.type,
            incoming.counterpart_id,
            incoming.counterpart_name,
            incoming.counterpart_username,
        )
        contact_id = contact.id
        if created:
            await emit(session, workspace_id, "contact.created", ContactOut.model_validate(contact))
        await chats.remember(
            contact_id=contact_id,
            account_id=incoming.account_id,
            chat_id=incoming.chat_id,
            attendee_provider_id=incoming.counterpart_id,
        )
    else:
        return False
    text = incoming.text or ""
    if incoming.from_account:
        # Our own send coming back (a copy the account sent): the same row, never a second
        # one, even when we had failed it as never confirmed (it is revived).
        echo = await messages.echo_of(contact_id, text, incoming.at - REVIVE_WITHIN)
        if echo is not None:
            await transitions.sent(
                session,
                workspace_id,
                echo.id,
                at=incoming.at,
                unipile_message_id=incoming.message_id,
                chat_id=incoming.chat_id,
                revive=True,
            )
            return True
    direction = Direction.OUTBOUND if incoming.from_account else Direction.INBOUND
    status = MessageStatus.SENT if incoming.from_account else MessageStatus.DELIVERED
    new_id = await messages.insert_unique(
        contact_id=contact_id,
        channel=channel.type,
        direction=direction,
        content=text,
        status=status,
        unipile_message_id=incoming.message_id,
        unipile_chat_id=incoming.chat_id,
        occurred_at=incoming.at,
        sent_at=incoming.at,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    if new_id is None:
        return False
    await inbound_files.record(
        session, workspace_id, new_id, incoming.message_id, incoming.attachments
    )
    await ConversationRepository(session, workspace_id).record_message(
        contact_id=contact_id,
        channel=channel.type,
        message_id=new_id,
        content=text or inbound_files.preview(incoming.attachments),
        at=incoming.at,
        unread_delta=0 if incoming.from_account else 1,
    )
    kind = "message.sent" if incoming.from_account else "message.received"
    await message_event_by_id(session, new_id, kind)
    await optout.on_message(
        session, workspace_id, contact_id, text, incoming.at, inbound=not incoming.from_account
    )
    return True


async def apply_receipt(
    session: AsyncSession, account_id: str, unipile_message_id: str, event: str, at: datetime
) -> bool:
    """delivered/read receipts move an outbound message forward only (messages.transitions)."""
    channel = await _owning_channel(session, account_id)
    if channel is None:
        return False
    target = MessageStatus.READ if event == "read" else MessageStatus.DELIVERED
    moved = await transitions.receipt(session, channel.workspace_id, unipile_message_id, target, at)
    return moved is not None
