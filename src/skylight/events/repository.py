from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.models import Event

NOTIFY_CHANNEL = "skylight_events"


class EventRepository:
    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

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
