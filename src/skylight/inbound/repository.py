from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.inbound.models import InboxEntry
from skylight.kit.models import table_of
from skylight.kit.time import utcnow

_QUEUED = (
    select(InboxEntry.id, InboxEntry.payload)
    .where(InboxEntry.applied_at.is_(None))
    .order_by(InboxEntry.id)
    .limit(bindparam("limit"))
)
_ANY_QUEUED = select(exists().where(InboxEntry.applied_at.is_(None)))
# PostgreSQL: several processes drain the queue; each takes rows no other holds.
_QUEUED_SKIP_LOCKED = _QUEUED.with_for_update(skip_locked=True)


@functools.cache
def _insert(dialect: str) -> Any:
    """Built once per dialect, on the table (every webhook runs it; see kit.models.table_of)."""
    table = table_of(InboxEntry)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
        .returning(table.c.id)
    )


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def enqueue(self, dedupe_key: str, account_id: str, event: str, payload: str) -> bool:
        """Queue a webhook's body under its key unless the key is known; True when this
        delivery is the first (the others are redeliveries, queued or applied already)."""
        values = {
            "dedupe_key": dedupe_key,
            "account_id": account_id,
            "event": event,
            "received_at": utcnow(),
            "payload": payload,
            "applied_at": None,
        }
        statement = _insert(self.session.get_bind().dialect.name)
        return (await self.session.execute(statement, values)).scalar() is not None

    async def anything_queued(self) -> bool:
        return bool(await self.session.scalar(_ANY_QUEUED))

    async def queued(self, limit: int) -> Sequence[tuple[int, str]]:
        """The oldest entries not applied yet, locked for this transaction (PostgreSQL: skipping
        those another process is applying; SQLite: the write lock is ours alone)."""
        statement = _QUEUED_SKIP_LOCKED if self._postgres else _QUEUED
        rows = await self.session.execute(statement, {"limit": limit})
        return [(entry_id, payload or "{}") for entry_id, payload in rows]

    async def applied(self, entry_ids: Sequence[int], at: datetime) -> None:
        """Applied (in this transaction): only the key stays, for redeliveries."""
        await self.session.execute(
            update(InboxEntry)
            .where(InboxEntry.id.in_(list(entry_ids)))
            .values(applied_at=at, payload=None)
        )

    async def set_aside(self, entry_id: int, at: datetime) -> None:
        """Out of the queue without being applied (it failed on its own): its body stays."""
        await self.session.execute(
            update(InboxEntry).where(InboxEntry.id == entry_id).values(applied_at=at)
        )
