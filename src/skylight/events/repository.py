from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text

from skylight.events.models import Event
from skylight.kit.repository import ScopedRepository

NOTIFY_CHANNEL = "skylight_events"


class EventRepository(ScopedRepository[Event]):
    model = Event

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

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
