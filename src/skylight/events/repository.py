from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text

from skylight.events.models import Event
from skylight.kit.models import table_of
from skylight.kit.repository import ScopedRepository

NOTIFY_CHANNEL = "skylight_events"

# Built once, on the table (plain Core: the ORM's bulk-insert path costs more than the round
# trip): the hot path only binds values.
_EVENTS = table_of(Event)
_INSERT = (
    insert(_EVENTS)
    .values(
        workspace_id=bindparam("workspace_id"),
        type=bindparam("type"),
        data=bindparam("data"),
        created_at=bindparam("created_at"),
    )
    .returning(_EVENTS.c.id)
)
# Many rows, ids returned in the order of the rows given.
_INSERT_MANY = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
# PostgreSQL: the row and the wake-up of stream readers (delivered at commit) in one round trip.
_added = _INSERT.cte("added")
_INSERT_AND_NOTIFY = select(_added.c.id, func.pg_notify(NOTIFY_CHANNEL, bindparam("payload")))


class EventRepository(ScopedRepository[Event]):
    model = Event

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def record(self, type: str, data: str, created_at: datetime) -> int:
        """Insert an event (and on PostgreSQL notify its readers); its id."""
        values = {
            "workspace_id": self.workspace_id,
            "type": type,
            "data": data,
            "created_at": created_at,
        }
        if self._postgres:
            values["payload"] = str(self.workspace_id)
            return int((await self.session.execute(_INSERT_AND_NOTIFY, values)).scalar_one())
        return int((await self.session.execute(_INSERT, values)).scalar_one())

    async def record_many(self, rows: Sequence[tuple[str, str, datetime]]) -> list[int]:
        """Insert events (type, data, created_at) in one statement; their ids, in order."""
        values = [
            {"workspace_id": self.workspace_id, "type": t, "data": d, "created_at": at}
            for t, d, at in rows
        ]
        result = await self.session.execute(_INSERT_MANY, values)
        return [int(event_id) for event_id in result.scalars()]

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
