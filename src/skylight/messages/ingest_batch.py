"""Many messages at once (a batch of queued webhooks), with the result `ingest` gives each.

The common case, someone writing in a chat we know (no files, not an opt-out keyword, not a
copy of our own send), is written for a run of them at once: one INSERT of the messages, one
upsert of the conversations, one INSERT of their events. Everything else goes through `ingest`
one by one, after the run before it is written, so the order of events is the order of the
messages."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.repository import AccountLookup
from skylight.channels.types import ChannelType
from skylight.contacts.optout import configured_keywords
from skylight.conversations.repository import ConversationRepository
from skylight.events.service import emit_many
from skylight.kit.time import utcnow
from skylight.messages.ingest import Incoming, ingest
from skylight.messages.repository import ChatLookup, MessageRepository
from skylight.messages.schemas import MessageOut
from skylight.messages.types import Direction, MessageStatus


@dataclass(frozen=True)
class _Simple:
    incoming: Incoming
    workspace_id: int
    contact_id: int
    channel: ChannelType


@dataclass
class _Latest:
    """What a contact's conversation gets from a run (see ConversationRepository)."""

    contact_id: int
    channel: ChannelType
    message_id: int
    content: str
    at: datetime
    unread_delta: int


class IngestBatch:
    """`add` each message in order, then `flush`."""

    def __init__(self, session: AsyncSession, chat_ids: Sequence[str]) -> None:
        self.session = session
        self._chat_ids = set(chat_ids)
        self._chats: dict[str, tuple[int, int]] | None = None
        self._run: list[_Simple] = []
        self._keywords = configured_keywords()

    async def add(self, incoming: Incoming) -> None:
        simple = await self._simple(incoming)
        if simple is None:
            await self.flush()
            await ingest(self.session, incoming)
        else:
            self._run.append(simple)

    async def _simple(self, incoming: Incoming) -> _Simple | None:
        if incoming.from_account or incoming.attachments:
            return None
        if self._keywords.choice(incoming.text) is not None:
            return None
        if self._chats is None:  # the batch's known chats, read once
            self._chats = await ChatLookup(self.session).contacts(self._chat_ids)
        known = self._chats.get(incoming.chat_id)
        channel = await AccountLookup(self.session).channel(incoming.account_id)
        if known is None or channel is None or known[0] != channel.workspace_id:
            return None
        return _Simple(incoming, channel.workspace_id, known[1], channel.type)

    async def flush(self) -> None:
        run, self._run = self._run, []
        for workspace_id in dict.fromkeys(s.workspace_id for s in run):
            await self._write(workspace_id, [s for s in run if s.workspace_id == workspace_id])

    async def _write(self, workspace_id: int, run: list[_Simple]) -> None:
        now = utcnow()
        ids = await MessageRepository(self.session, workspace_id).insert_many_unique(
            [_row(s, now) for s in run]
        )
        stored = [(s, ids[s.incoming.message_id]) for s in run if s.incoming.message_id in ids]
        if not stored:
            return
        # Each contact's newest message (the last of equal times, as one upsert after another
        # would leave it) and how many arrived.
        latest: dict[int, _Latest] = {}
        for s, message_id in stored:
            before = latest.get(s.contact_id)
            if before is None or s.incoming.at >= before.at:
                text = s.incoming.text or ""
                latest[s.contact_id] = _Latest(
                    s.contact_id, s.channel, message_id, text, s.incoming.at, 0
                )
            latest[s.contact_id].unread_delta = (before.unread_delta if before else 0) + 1
        await ConversationRepository(self.session, workspace_id).record_latest(
            [dataclasses.asdict(row) for row in latest.values()]
        )
        events = [("message.received", _out(s, message_id, now)) for s, message_id in stored]
        await emit_many(self.session, workspace_id, events)


def _row(s: _Simple, now: datetime) -> dict[str, object]:
    incoming = s.incoming
    return {
        "contact_id": s.contact_id,
        "channel": s.channel,
        "direction": Direction.INBOUND,
        "content": incoming.text or "",
        "status": MessageStatus.DELIVERED,
        "unipile_message_id": incoming.message_id,
        "unipile_chat_id": incoming.chat_id,
        "occurred_at": incoming.at,
        "sent_at": incoming.at,
        "created_at": now,
        "updated_at": now,
    }


def _out(s: _Simple, message_id: int, now: datetime) -> MessageOut:
    """The message as the API shows it, from what was written (nothing read back)."""
    return MessageOut(
        id=message_id,
        contact_id=s.contact_id,
        direction="inbound",
        channel=s.channel,
        content=s.incoming.text or "",
        status="delivered",
        error=None,
        sent_at=s.incoming.at,
        delivered_at=None,
        read_at=None,
        created_at=now,
        attachments=[],
    )
