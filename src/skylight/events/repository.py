from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.models import Event

NOTIFY_CHANNEL = "skylight_events"
# Namespace of the per-workspace advisory locks that order event ids (see service.emit).
_LOCK_NAMESPACE = 7_405_114


async def lock_workspace_writes(session: AsyncSession, workspace_id: int) -> None:
    """Take the workspace's write lock (PostgreSQL; SQLite serialises writers anyway) at the
    START of a transaction that writes messages or may emit events. Taken first by everyone,
    it is one lock order for all such transactions, so they can wait but never deadlock."""
    await EventRepository(session, workspace_id).serialize_writers()


class EventRepository:
    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def serialize_writers(self) -> None:
        """On PostgreSQL, hold a per-workspace lock until commit, so events of a workspace
        commit in id order and a reader tailing by id never skips one. SQLite's write lock
        already serialises every writer."""
        if self._postgres:
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:ns, :ws)"),
                {"ns": _LOCK_NAMESPACE, "ws": self.workspace_id},
            )

    async def add(self, event: Event) -> Event:
        self.session.add(event)
        await self.session.flush()
        return event

    async def notify(self) -> None:
        """Wake stream readers in every process (delivered by PostgreSQL at commit)."""
        if self._postgres:
            await self.session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": str(self.workspace_id)},
            )

    async def after(
        self, cursor: int, *, types: Sequence[str] | None, limit: int
    ) -> Sequence[Event]:
        query = select(Event).where(Event.workspace_id == self.workspace_id, Event.id > cursor)
        if types:
            query = query.where(Event.type.in_(list(types)))
        rows = await self.session.scalars(query.order_by(Event.id).limit(limit))
        return rows.all()

    async def get(self, event_id: int) -> Event | None:
        return await self.session.scalar(
            select(Event).where(Event.workspace_id == self.workspace_id, Event.id == event_id)
        )
