"""The inbox: conversations, one contact's thread, and starting a conversation from the page."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from skylight.contacts.schemas import ContactCreate, ContactOut
from skylight.contacts.service import create_contact, get_contact
from skylight.conversations import service as conversations
from skylight.conversations.schemas import ConversationOut
from skylight.dashboard.forms import parse
from skylight.files import service as files
from skylight.files.storage import Storage
from skylight.integrations.unipile.client import UnipileClient
from skylight.kit.db import Database
from skylight.kit.errors import Conflict, NotFound
from skylight.kit.pagination import PageParams
from skylight.messages import history
from skylight.messages import service as messages
from skylight.messages.reading import mark_conversation_read
from skylight.messages.schemas import MessageOut, SendIn
from skylight.users.service import SignedIn

PAGE = 50
THREAD = 100


@dataclass(frozen=True)
class Thread:
    contact: ContactOut
    messages: list[MessageOut]  # oldest first, the newest THREAD of them


async def inbox(db: Database, me: SignedIn, page: int = 1) -> tuple[list[ConversationOut], int]:
    return await conversations.list_conversations(
        db, me.workspace_id, PageParams(page=page, per_page=PAGE), channel=None, contact_id=None
    )


async def thread(db: Database, me: SignedIn, contact_id: int) -> Thread:
    """The contact's latest messages. Reading them changes nothing: the page marks them read
    with a POST (mark_read) once they are on screen."""
    async with db.transaction() as session:
        contact = ContactOut.model_validate(await get_contact(session, me.workspace_id, contact_id))
    rows, _ = await history.contact_history(
        db, me.workspace_id, contact_id, PageParams(page=1, per_page=THREAD), None
    )
    return Thread(contact=contact, messages=list(reversed(rows)))


async def mark_read(db: Database, me: SignedIn, contact_id: int) -> None:
    with contextlib.suppress(NotFound):  # no message yet (or no such contact): nothing to mark
        async with db.transaction() as session:
            await mark_conversation_read(session, me.workspace_id, contact_id)


async def send(
    db: Database,
    unipile: UnipileClient,
    me: SignedIn,
    contact_id: int,
    text: str,
    *,
    storage: Storage | None = None,
    file: tuple[bytes, str] | None = None,
) -> str | None:
    """Send as POST /messages/send does, with the composer's file uploaded first (as POST
    /files does); None when sent, else why not (also stored on the message, which the thread
    shows with its error)."""
    attachments = []
    if file is not None:
        assert storage is not None
        data, filename = file
        attachments.append(
            (await files.upload(db, storage, me.workspace_id, data, filename)).public_id
        )
    fields = {"contact_id": contact_id, "message": text or None, "attachments": attachments}
    body = parse(SendIn, fields)
    outcome = await messages.send(
        db,
        me.workspace_id,
        body.contact_id,
        body.message,
        unipile=unipile,
        attachments=body.attachments,
        storage=storage,
    )
    if isinstance(outcome, messages.Sent):
        return None
    return outcome.message.error or "The message could not be delivered."


async def find_or_create_contact(db: Database, me: SignedIn, data: ContactCreate) -> int:
    """The contact with this phone or username on the channel, created when new."""
    try:
        async with db.transaction() as session:
            contact = await create_contact(session, me.workspace_id, data)
            return contact.id
    except Conflict as exc:
        if isinstance(exc.data, dict) and isinstance(exc.data.get("id"), int):
            return int(exc.data["id"])
        raise
