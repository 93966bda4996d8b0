"""Sending: the message is stored before Unipile is called, and its outcome after, each in its
own short transaction. No outcome is lost: a failure is saved with its reason, an unconfirmed
send stays pending until reconciliation settles it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.models import Channel
from skylight.channels.types import HEALTHY, ChannelType
from skylight.contacts.models import Contact
from skylight.contacts.service import get_contact
from skylight.conversations.repository import ConversationRepository
from skylight.files import service as files_service
from skylight.files.models import File
from skylight.files.storage import Storage, StorageError
from skylight.integrations.unipile.attachments import Upload
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import (
    UnipileError,
    UnipilePermanentError,
    UnipileTimeout,
)
from skylight.kit.db import Database, retrying
from skylight.kit.errors import NotFound
from skylight.kit.locks import lock_workspace_writes
from skylight.kit.time import utcnow
from skylight.messages import recipients, transitions
from skylight.messages.events import message_event
from skylight.messages.models import Message
from skylight.messages.recipients import attendee_id as attendee_id  # planning uses it
from skylight.messages.repository import ChatRepository, MessageRepository, SendTargets
from skylight.messages.schemas import MessageOut
from skylight.messages.types import Direction, MessageStatus

UNCONFIRMED = "Unipile did not confirm the message in time; it will be reconciled."


@dataclass(frozen=True)
class Route:
    """Where a stored message goes: the account, and the chat or the attendee to start one."""

    workspace_id: int
    message_id: int
    contact_id: int
    account_id: str
    chat_id: str | None
    attendee_id: str
    # Its files are read from storage when it is sent (and again if it is ever sent again).
    has_attachments: bool = False
    # The contact opted out of campaigns (a direct send still goes, and says so).
    opted_out: bool = False


async def prepare(
    session: AsyncSession,
    workspace_id: int,
    contact_id: int,
    text: str,
    files: Sequence[File] = (),
) -> Route | Message:
    """Store an outbound message (and its files, checked for its channel already, see
    files.service.for_send) in the caller's transaction, so a campaign can link its recipient
    to it atomically. Returns its route, or the message already failed on our side (no
    channel, channel not OK).

    The contact, its channel and its chat come in one query, and the message and its
    conversation are written without reading anything back. The workspace lock is taken only
    when an event is emitted (a refusal): a pending message emits none."""
    target = await SendTargets(session, workspace_id).get(contact_id)
    if target is None:
        raise NotFound(f"Contact {contact_id} not found.")
    contact, channel, chat = target
    problem = _refusal(contact.channel, channel)
    if problem is not None:
        return await _refuse(session, workspace_id, contact, text, files, problem)
    assert channel is not None
    assert channel.unipile_account_id is not None
    now = utcnow()
    message_id = await MessageRepository(session, workspace_id).insert_pending(
        contact_id=contact.id, channel=contact.channel, content=text, at=now
    )
    await files_service.attach(session, workspace_id, message_id, files)
    await ConversationRepository(session, workspace_id).record_message(
        contact_id=contact.id,
        channel=contact.channel,
        message_id=message_id,
        content=text or files_service.preview(files),
        at=now,
        unread_delta=0,
    )
    return Route(
        workspace_id=workspace_id,
        message_id=message_id,
        contact_id=contact.id,
        account_id=channel.unipile_account_id,
        chat_id=chat.unipile_chat_id if chat else None,
        attendee_id=chat.attendee_provider_id if chat else attendee_id(contact),
        has_attachments=bool(files),
        opted_out=contact.opted_out_at is not None,
    )


def _refusal(channel_type: ChannelType, channel: Channel | None) -> str | None:
    """Why a message on this channel cannot be sent now; None when it can."""
    if channel is None or not channel.is_connected or channel.unipile_account_id is None:
        return f"No {channel_type.value} channel connected."
    if channel.status not in HEALTHY:
        return (
            f"The {channel_type.value} channel is not ready "
            f"(sync_status {channel.sync_status}). Try again once it is OK."
        )
    return None


async def _refuse(
    session: AsyncSession,
    workspace_id: int,
    contact: Contact,
    text: str,
    files: Sequence[File],
    error: str,
) -> Message:
    """Record the message as failed, with its event (the lock first: it emits)."""
    await lock_workspace_writes(session, workspace_id)
    now = utcnow()
    message = Message(
        workspace_id=workspace_id,
        contact_id=contact.id,
        channel=contact.channel,
        direction=Direction.OUTBOUND,
        content=text,
        status=MessageStatus.FAILED,
        error=error,
        failed_at=now,
        occurred_at=now,
        created_at=now,
    )
    await MessageRepository(session, workspace_id).add(message)
    await files_service.attach(session, workspace_id, message.id, files)
    await ConversationRepository(session, workspace_id).record_message(
        contact_id=contact.id,
        channel=contact.channel,
        message_id=message.id,
        content=text or files_service.preview(files),
        at=now,
        unread_delta=0,
    )
    await message_event(session, message, "message.failed")
    return message


async def _deliver(
    unipile: UnipileClient, route: Route, text: str, uploads: Sequence[Upload]
) -> tuple[str | None, str | None]:
    """(Unipile message id, chat id). The first send starts the chat; later ones reuse it."""
    if route.chat_id is not None:
        sent = await unipile.send_message(route.chat_id, text or None, uploads)
        return sent.message_id, route.chat_id
    started = await unipile.start_chat(route.account_id, [route.attendee_id], text or None, uploads)
    return started.message_id, started.chat_id


# While the database is away (a failover), an outcome Unipile gave is retried this long before
# the message is left pending for reconciliation: recording it is what avoids a second send.
RECORD_WITHIN_SECONDS = 15.0


async def _record_sent(
    db: Database, route: Route, unipile_id: str | None, chat_id: str | None
) -> Message:
    async def record(session: AsyncSession) -> Message:
        moved = await transitions.sent(
            session,
            route.workspace_id,
            route.message_id,
            at=utcnow(),
            unipile_message_id=unipile_id,
            chat_id=chat_id,
        )
        if chat_id is not None and route.chat_id is None:  # the first send started the chat
            await ChatRepository(session, route.workspace_id).remember(
                contact_id=route.contact_id,
                account_id=route.account_id,
                chat_id=chat_id,
                attendee_provider_id=route.attendee_id,
            )
        # Not moved: its echo (or a lookup) recorded it first; show it as it is.
        return moved or await _current(session, route)

    return await retrying(db, record, within=RECORD_WITHIN_SECONDS)


async def _record_problem(db: Database, route: Route, error: str, *, unconfirmed: bool) -> Message:
    async def record(session: AsyncSession) -> Message:
        if unconfirmed:
            moved = await transitions.unconfirmed(
                session, route.workspace_id, route.message_id, error
            )
        else:
            moved = await transitions.failed(
                session, route.workspace_id, route.message_id, error, utcnow()
            )
        return moved or await _current(session, route)

    return await retrying(db, record, within=RECORD_WITHIN_SECONDS)


async def _current(session: AsyncSession, route: Route) -> Message:
    message = await MessageRepository(session, route.workspace_id).get(route.message_id)
    assert message is not None
    return message


async def complete(
    db: Database,
    unipile: UnipileClient,
    route: Route,
    text: str,
    storage: Storage | None = None,
) -> Message:
    """Call Unipile for a prepared message (no transaction open meanwhile) and record the
    outcome: sent, failed with the reason, or still pending when Unipile did not confirm.
    `storage` holds the bytes of its files (a message with attachments needs it)."""
    message, _ = await _complete(db, unipile, route, text, storage)
    return message


async def _complete(
    db: Database, unipile: UnipileClient, route: Route, text: str, storage: Storage | None
) -> tuple[Message, bool]:
    """The message, and whether it failed on our side (no such recipient)."""
    try:
        route = await recipients.addressed(db, unipile, route)
    except recipients.UnknownRecipient as exc:
        return await _record_problem(db, route, exc.reason, unconfirmed=False), True
    except UnipileError as exc:
        reason = exc.detail or exc.title or type(exc).__name__
        failed = await _record_problem(db, route, f"Unipile failed: {reason}", unconfirmed=False)
        return failed, False
    return await _send(db, unipile, route, text, storage), False


async def _send(
    db: Database, unipile: UnipileClient, route: Route, text: str, storage: Storage | None
) -> Message:
    uploads: list[Upload] = []
    if route.has_attachments:
        assert storage is not None, "a message with attachments is sent with its storage"
        try:
            uploads = await files_service.outgoing(
                db, storage, route.workspace_id, route.message_id
            )
        except StorageError as exc:
            reason = f"Its files could not be read from storage: {exc}"
            return await _record_problem(db, route, reason, unconfirmed=False)
    try:
        unipile_id, chat_id = await _deliver(unipile, route, text, uploads)
    except UnipilePermanentError as exc:
        reason = exc.detail or exc.title or exc.type or "rejected"
        return await _record_problem(
            db, route, f"Unipile rejected the message: {reason}", unconfirmed=False
        )
    except UnipileTimeout:
        # It may have gone out: saying "failed" could make the caller send it twice.
        return await _record_problem(db, route, UNCONFIRMED, unconfirmed=True)
    except UnipileError as exc:
        reason = exc.detail or exc.title or type(exc).__name__
        return await _record_problem(db, route, f"Unipile failed: {reason}", unconfirmed=False)
    return await _record_sent(db, route, unipile_id, chat_id)


@dataclass(frozen=True)
class Sent:
    """Unipile accepted the message."""

    message: Message
    # The contact opted out of campaigns: a direct message still goes, and says so.
    opted_out: bool = False


@dataclass(frozen=True)
class Refused:
    """Not sent because of our side (no channel, channel not ready); saved as failed."""

    message: Message


@dataclass(frozen=True)
class Undelivered:
    """Unipile failed, or did not confirm in time (then it stays pending and is reconciled)."""

    message: Message


SendOutcome = Sent | Refused | Undelivered


async def send(
    db: Database,
    workspace_id: int,
    contact_id: int,
    text: str | None,
    *,
    unipile: UnipileClient,
    attachments: Sequence[str] = (),
    storage: Storage | None = None,
) -> SendOutcome:
    """Store the message, call Unipile with no transaction open, record the outcome. Files
    (`attachments`, ids from POST /files) over their channel's limits raise ContentTooLarge or
    Unprocessable before anything is stored or sent."""
    async with db.transaction() as session:
        files: list[File] = []
        if attachments:
            contact = await get_contact(session, workspace_id, contact_id)
            files = await files_service.for_send(
                session, workspace_id, attachments, contact.channel
            )
        prepared = await prepare(session, workspace_id, contact_id, text or "", files)
    if isinstance(prepared, Message):
        return Refused(prepared)
    message, ours = await _complete(db, unipile, prepared, text or "", storage)
    if ours:
        return Refused(message)
    if message.status != MessageStatus.SENT:
        return Undelivered(message)
    return Sent(message, prepared.opted_out)


async def get_message(db: Database, workspace_id: int, message_id: int) -> MessageOut:
    async with db.transaction() as session:
        message = await MessageRepository(session, workspace_id).get(message_id)
        if message is None:
            raise NotFound(f"Message {message_id} not found.")
        return MessageOut.model_validate(message)
