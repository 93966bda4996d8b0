from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from skylight.channels.models import Channel
from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact
from skylight.files.models import MessageAttachment
from skylight.kit.db import dialect_insert
from skylight.kit.models import table_of
from skylight.kit.repository import ScopedRepository
from skylight.messages.models import Chat, Message
from skylight.messages.types import UNCONFIRMED_FAILURES, Direction, MessageStatus

# Built once, bound per call, on the table (see events.repository).
_MESSAGES = table_of(Message)
_HAS_FILES = (
    exists().where(table_of(MessageAttachment).c.message_id == _MESSAGES.c.id).label("has_files")
)
# Another message, for "is this Unipile id taken": made once (an alias is costly to build).
_OTHER = _MESSAGES.alias("other")
_INSERT_PENDING = insert(_MESSAGES).returning(_MESSAGES.c.id)


class SendTargets:
    """Where a send goes, in one query: the contact, its channel (None when the workspace has
    none of that type) and its chat on that channel's account (None before the first send).
    Plain columns, handed back as detached objects: the ORM's loading costs more than the
    query, and nothing here is written back."""

    _CONTACT: tuple[str, ...] = ("id", "workspace_id", "name", "channel", "phone", "username")
    _CONTACT += ("handle", "provider_id", "opted_out_at")
    _CHANNEL = ("id", "workspace_id", "type", "unipile_account_id", "sync_status", "connected_at")
    _CHAT = ("unipile_chat_id", "attendee_provider_id")

    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def get(self, contact_id: int) -> tuple[Contact, Channel | None, Chat | None] | None:
        params = {"workspace_id": self.workspace_id, "id": contact_id}
        row = (await self.session.execute(_SEND_TARGET, params)).one_or_none()
        if row is None:
            return None
        values = row._mapping
        contact = Contact(**{name: values[f"contact_{name}"] for name in self._CONTACT})
        channel = chat = None
        if values["channel_id"] is not None:
            channel = Channel(**{name: values[f"channel_{name}"] for name in self._CHANNEL})
        if values["chat_unipile_chat_id"] is not None:
            chat = Chat(
                workspace_id=self.workspace_id,
                contact_id=contact.id,
                unipile_account_id=values["channel_unipile_account_id"],
                **{name: values[f"chat_{name}"] for name in self._CHAT},
            )
        return contact, channel, chat


def _send_target() -> Any:
    contacts, channels, chats = table_of(Contact), table_of(Channel), table_of(Chat)
    columns = [contacts.c[n].label(f"contact_{n}") for n in SendTargets._CONTACT]
    columns += [channels.c[n].label(f"channel_{n}") for n in SendTargets._CHANNEL]
    columns += [chats.c[n].label(f"chat_{n}") for n in SendTargets._CHAT]
    joined = contacts.outerjoin(
        channels,
        and_(
            channels.c.workspace_id == contacts.c.workspace_id,
            channels.c.type == contacts.c.channel,
        ),
    ).outerjoin(
        chats,
        and_(
            chats.c.workspace_id == contacts.c.workspace_id,
            chats.c.contact_id == contacts.c.id,
            chats.c.unipile_account_id == channels.c.unipile_account_id,
        ),
    )
    return (
        select(*columns)
        .select_from(joined)
        .where(
            contacts.c.workspace_id == bindparam("workspace_id"), contacts.c.id == bindparam("id")
        )
    )


_SEND_TARGET = _send_target()


class MessageRepository(ScopedRepository[Message]):
    model = Message

    async def insert_unique(self, **values: Any) -> int | None:
        """Insert unless a row has the same Unipile message id; the new id, or None."""
        statement = (
            dialect_insert(self.session, Message)
            .values(workspace_id=self.workspace_id, **values)
            .on_conflict_do_nothing(index_elements=["unipile_message_id"])
            .returning(Message.id)
        )
        return (await self.session.execute(statement)).scalar()

    async def insert_pending(
        self, *, contact_id: int, channel: ChannelType, content: str, at: datetime
    ) -> int:
        """A new outbound message, pending; its id (nothing read back)."""
        values = {
            "workspace_id": self.workspace_id,
            "contact_id": contact_id,
            "channel": channel,
            "direction": Direction.OUTBOUND,
            "content": content,
            "status": MessageStatus.PENDING,
            "occurred_at": at,
            "created_at": at,
            "updated_at": at,
        }
        return int((await self.session.execute(_INSERT_PENDING, values)).scalar_one())

    async def insert_many_unique(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Insert messages (each with its Unipile id) in one statement, skipping ids stored
        already: the new rows' ids by Unipile id."""
        statement = (
            dialect_insert(self.session, _MESSAGES)
            .on_conflict_do_nothing(index_elements=["unipile_message_id"])
            .returning(_MESSAGES.c.id, _MESSAGES.c.unipile_message_id)
        )
        values = [{"workspace_id": self.workspace_id, **row} for row in rows]
        result = await self.session.execute(statement, values)
        return {unipile_id: message_id for message_id, unipile_id in result}

    async def by_unipile_id(self, unipile_message_id: str) -> Message | None:
        return await self.session.scalar(
            select(Message).where(
                Message.workspace_id == self.workspace_id,
                Message.unipile_message_id == unipile_message_id,
            )
        )

    async def echo_of(
        self, contact_id: int, content: str, expired_since: datetime
    ) -> Message | None:
        """The message of ours a copy the account sent may be: an outbound message with this
        text and no Unipile id yet, still pending (its echo beat our own record of the send),
        or failed as never confirmed since `expired_since` (it did reach Unipile after all)."""
        unconfirmed = or_(
            Message.status == MessageStatus.PENDING,
            and_(
                Message.status == MessageStatus.FAILED,
                Message.error.in_(UNCONFIRMED_FAILURES),
                Message.created_at >= expired_since,
            ),
        )
        return await self.session.scalar(
            select(Message)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.contact_id == contact_id,
                Message.direction == Direction.OUTBOUND,
                Message.unipile_message_id.is_(None),
                Message.content == content,
                unconfirmed,
            )
            .order_by(Message.id)
            .limit(1)
        )

    @staticmethod
    def moving(
        where: ColumnElement[bool],
        from_states: Collection[MessageStatus],
        values: dict[str, Any],
    ) -> Any:
        """The UPDATE ... RETURNING of a move (see `run_move`): the row `where` names, if its
        status is one of `from_states`. Binds `ws`, the workspace, when run; built once by
        the hot paths (transitions), with their own values bound too. A plain Core UPDATE
        whose returned row the ORM loads (cheaper than the ORM's bulk UPDATE)."""
        update_returning = (
            update(_MESSAGES)
            .where(
                _MESSAGES.c.workspace_id == bindparam("ws"),
                where,
                _MESSAGES.c.status.in_(list(from_states)),
            )
            .values(**values)
            # Whether it has files, in the same statement: most have none, and then their
            # (empty) list needs no query of its own.
            .returning(*_MESSAGES.c, _HAS_FILES)
        )
        return (
            select(Message, literal_column("has_files"))
            .from_statement(update_returning)
            .options(lazyload(Message.attachments))
        )

    async def move(
        self,
        where: ColumnElement[bool],
        from_states: Collection[MessageStatus],
        values: dict[str, Any],
    ) -> Message | None:
        """One UPDATE ... RETURNING of the row `where` names, if its status is one of
        `from_states`: the row as it is now, or None when it was in another state."""
        return await self.run_move(self.moving(where, from_states, values), {})

    async def run_move(self, statement: Any, params: dict[str, Any]) -> Message | None:
        # populate_existing: a copy of the row already in this session (read before the move)
        # takes the returned values too, so nobody sees the old status.
        options = {"populate_existing": True}
        bound = {"ws": self.workspace_id, **params}
        result = await self.session.execute(statement, bound, execution_options=options)
        row = result.one_or_none()
        if row is None:
            return None
        message: Message = row[0]
        if row[1]:  # it has files
            await self.session.refresh(message, ["attachments"])
        else:
            set_committed_value(message, "attachments", [])
        return message

    @staticmethod
    def unless_taken(unipile_message_id: Any) -> ColumnElement[Any]:
        """Unipile's id for the row, unless another message has it (the unique column): then
        the row keeps what it had. One statement, no read first. A value, or a bindparam."""
        if not isinstance(unipile_message_id, BindParameter):
            unipile_message_id = literal(unipile_message_id)
        taken = exists().where(_OTHER.c.unipile_message_id == unipile_message_id)
        return case((taken, _MESSAGES.c.unipile_message_id), else_=unipile_message_id)

    async def unconfirmed(self, channel: str, created_before: datetime) -> list[int]:
        """Outbound messages of the channel stored before then and still pending: Unipile never
        confirmed them (the ids, oldest first)."""
        rows = await self.session.scalars(
            select(Message.id)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.channel == channel,
                Message.direction == Direction.OUTBOUND,
                Message.status == MessageStatus.PENDING,
                Message.created_at < created_before,
            )
            .order_by(Message.id)
        )
        return list(rows)

    async def awaiting_receipt(self, channel: str, since: datetime, limit: int) -> list[str]:
        """Unipile ids of outbound messages sent since then and not read yet, newest first."""
        rows = await self.session.scalars(
            select(Message.unipile_message_id)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.channel == channel,
                Message.direction == Direction.OUTBOUND,
                Message.status.in_([MessageStatus.SENT, MessageStatus.DELIVERED]),
                Message.sent_at >= since,
                Message.unipile_message_id.is_not(None),
            )
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return [row for row in rows if row is not None]

    async def mark_inbound_read(self, contact_id: int, at: datetime) -> int:
        result = await self.session.execute(
            update(Message)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.contact_id == contact_id,
                Message.direction == Direction.INBOUND,
                Message.status != MessageStatus.READ,
            )
            .values(status=MessageStatus.READ, read_at=at)
        )
        return int(getattr(result, "rowcount", 0))

    def _history_filters(
        self, contact_id: int, direction: Direction | None
    ) -> list[ColumnElement[bool]]:
        filters = [Message.workspace_id == self.workspace_id, Message.contact_id == contact_id]
        if direction is not None:
            filters.append(Message.direction == direction)
        return filters

    async def history(
        self, contact_id: int, direction: Direction | None, *, offset: int, limit: int
    ) -> tuple[Sequence[Message], int]:
        filters = self._history_filters(contact_id, direction)
        total = await self.session.scalar(select(func.count()).select_from(Message).where(*filters))
        rows = await self.session.scalars(
            select(Message)
            .where(*filters)
            .order_by(Message.occurred_at.desc(), Message.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return rows.all(), int(total or 0)


class ChatLookup:
    """Across workspaces (a Unipile chat id is unique): who is behind many chats at once."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def contacts(self, chat_ids: Collection[str]) -> dict[str, tuple[int, int]]:
        """chat id -> (workspace id, contact id), for the chats we know."""
        if not chat_ids:
            return {}
        rows = await self.session.execute(
            select(Chat.unipile_chat_id, Chat.workspace_id, Chat.contact_id).where(
                Chat.unipile_chat_id.in_(list(chat_ids))
            )
        )
        return {chat_id: (workspace_id, contact_id) for chat_id, workspace_id, contact_id in rows}


class ChatRepository(ScopedRepository[Chat]):
    model = Chat

    async def for_contact(self, contact_id: int, account_id: str) -> Chat | None:
        return await self.session.scalar(
            select(Chat).where(
                Chat.workspace_id == self.workspace_id,
                Chat.contact_id == contact_id,
                Chat.unipile_account_id == account_id,
            )
        )

    async def by_unipile_id(self, chat_id: str) -> Chat | None:
        return await self.session.scalar(
            select(Chat).where(
                Chat.workspace_id == self.workspace_id, Chat.unipile_chat_id == chat_id
            )
        )

    async def remember(
        self, *, contact_id: int, account_id: str, chat_id: str, attendee_provider_id: str
    ) -> None:
        statement = (
            dialect_insert(self.session, Chat)
            .values(
                workspace_id=self.workspace_id,
                contact_id=contact_id,
                unipile_account_id=account_id,
                unipile_chat_id=chat_id,
                attendee_provider_id=attendee_provider_id,
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(statement)
