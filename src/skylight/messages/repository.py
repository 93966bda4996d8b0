from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update

from skylight.kit.db import dialect_insert
from skylight.kit.repository import Repository, ScopedRepository
from skylight.messages.models import Chat, Message
from skylight.messages.types import Direction, MessageStatus


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

    async def by_unipile_id(self, unipile_message_id: str) -> Message | None:
        return await self.session.scalar(
            select(Message).where(
                Message.workspace_id == self.workspace_id,
                Message.unipile_message_id == unipile_message_id,
            )
        )

    async def oldest_unconfirmed(self, contact_id: int, content: str) -> Message | None:
        """An outbound message we sent through the API whose echo may arrive before we have
        recorded Unipile's id for it."""
        return await self.session.scalar(
            select(Message)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.contact_id == contact_id,
                Message.direction == Direction.OUTBOUND,
                Message.status == MessageStatus.PENDING,
                Message.unipile_message_id.is_(None),
                Message.content == content,
            )
            .order_by(Message.id)
            .limit(1)
        )

    async def mark_sent(
        self,
        message_id: int,
        *,
        unipile_message_id: str | None,
        chat_id: str | None,
        at: datetime,
    ) -> bool:
        """pending -> sent; False when it had moved on already (e.g. its echo came first)."""
        values: dict[str, Any] = {"status": MessageStatus.SENT, "sent_at": at, "error": None}
        if unipile_message_id is not None and not await self._id_taken(unipile_message_id):
            values["unipile_message_id"] = unipile_message_id
        if chat_id is not None:
            values["unipile_chat_id"] = chat_id
        result = await self.session.execute(
            update(Message)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.id == message_id,
                Message.status == MessageStatus.PENDING,
            )
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def _id_taken(self, unipile_message_id: str) -> bool:
        found = await self.session.scalar(
            select(Message.id).where(Message.unipile_message_id == unipile_message_id)
        )
        return found is not None

    async def mark_failed(self, message_id: int, error: str, at: datetime) -> bool:
        result = await self.session.execute(
            update(Message)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.id == message_id,
                Message.status == MessageStatus.PENDING,
            )
            .values(status=MessageStatus.FAILED, error=error, failed_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def note_unconfirmed(self, message_id: int, error: str) -> None:
        await self.session.execute(
            update(Message)
            .where(
                Message.workspace_id == self.workspace_id,
                Message.id == message_id,
                Message.status == MessageStatus.PENDING,
            )
            .values(error=error)
        )

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


class PendingMessages(Repository[Message]):
    """Across workspaces, for the reconciliation job."""

    async def older_than(self, before: datetime) -> Sequence[Message]:
        rows = await self.session.scalars(
            select(Message).where(
                Message.status == MessageStatus.PENDING, Message.created_at < before
            )
        )
        return rows.all()


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
