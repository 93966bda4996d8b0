from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact
from skylight.conversations.models import Conversation
from skylight.kit.models import table_of
from skylight.kit.repository import ScopedRepository


@functools.cache
def _upsert(dialect: str) -> Any:
    """The conversation upsert of each message, built once per dialect (it runs per message)."""
    table = table_of(Conversation)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    newer = insert.excluded.last_message_at >= table.c.last_message_at
    return insert.on_conflict_do_update(
        index_elements=[table.c.contact_id],
        set_={
            "last_message": case((newer, insert.excluded.last_message), else_=table.c.last_message),
            "last_message_id": case(
                (newer, insert.excluded.last_message_id), else_=table.c.last_message_id
            ),
            "last_message_at": case(
                (newer, insert.excluded.last_message_at), else_=table.c.last_message_at
            ),
            "unread_count": table.c.unread_count + insert.excluded.unread_count,
        },
    )


class ConversationRepository(ScopedRepository[Conversation]):
    model = Conversation

    async def record_message(
        self,
        *,
        contact_id: int,
        channel: ChannelType,
        message_id: int,
        content: str,
        at: datetime,
        unread_delta: int,
    ) -> None:
        """Keep the row current in one atomic upsert: a message older than the latest (arriving
        late, e.g. from reconciliation) never replaces it, and unread counts only add up."""
        statement = _upsert(self.session.get_bind().dialect.name)
        values = {
            "contact_id": contact_id,
            "workspace_id": self.workspace_id,
            "channel": channel,
            "last_message": content,
            "last_message_id": message_id,
            "last_message_at": at,
            "unread_count": unread_delta,
        }
        await self.session.execute(statement, values)

    async def record_latest(self, latest: Sequence[Mapping[str, Any]]) -> None:
        """`record_message` for many contacts in one statement: each dict has contact_id,
        channel, message_id, content, at and unread_delta."""
        values = [
            {
                "contact_id": row["contact_id"],
                "workspace_id": self.workspace_id,
                "channel": row["channel"],
                "last_message": row["content"],
                "last_message_id": row["message_id"],
                "last_message_at": row["at"],
                "unread_count": row["unread_delta"],
            }
            for row in latest
        ]
        if values:
            await self.session.execute(_upsert(self.session.get_bind().dialect.name), values)

    async def mark_read(self, contact_id: int, marked: int) -> None:
        await self.session.execute(
            update(Conversation)
            .where(
                Conversation.workspace_id == self.workspace_id,
                Conversation.contact_id == contact_id,
            )
            .values(
                unread_count=case(
                    (Conversation.unread_count > marked, Conversation.unread_count - marked),
                    else_=0,
                )
            )
        )

    def _filters(
        self, channel: ChannelType | None, contact_id: int | None
    ) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = [Conversation.workspace_id == self.workspace_id]
        if channel is not None:
            filters.append(Conversation.channel == channel)
        if contact_id is not None:
            filters.append(Conversation.contact_id == contact_id)
        return filters

    async def page(
        self, *, channel: ChannelType | None, contact_id: int | None, offset: int, limit: int
    ) -> tuple[Sequence[tuple[Conversation, str]], int]:
        filters = self._filters(channel, contact_id)
        total = await self.session.scalar(
            select(func.count()).select_from(Conversation).where(*filters)
        )
        rows = await self.session.execute(
            select(Conversation, Contact.name)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(*filters)
            .order_by(Conversation.last_message_at.desc(), Conversation.contact_id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in rows], int(total or 0)

    async def get(self, contact_id: int) -> Conversation | None:
        return await self.session.scalar(
            select(Conversation).where(*self._filters(None, contact_id))
        )
