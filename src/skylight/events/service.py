from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.models import Event
from skylight.events.notifier import mark_pending
from skylight.events.repository import EventRepository
from skylight.kit.errors import Unprocessable, field_error
from skylight.kit.locks import lock_workspace_writes
from skylight.kit.time import utcnow

# What acts on an event in the transaction that records it (webhooks schedule deliveries).
Subscriber = Callable[[AsyncSession, Event], Awaitable[None]]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Called at start-up (skylight.wiring): the bus never imports the domains it serves."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


async def emit(
    session: AsyncSession,
    workspace_id: int,
    type: str,
    data: BaseModel | dict[str, Any],
    *,
    publish: bool = True,
) -> Event:
    """Record an event in the caller's transaction, and let subscribers act on it there (an
    outbox: webhook deliveries exist if and only if the change they describe commits).
    `publish=False` records it for the events API and the stream only."""
    if publish and not _subscribers:
        # Emitting before skylight.wiring.install() would silently lose webhook deliveries.
        raise RuntimeError("No event subscribers: call skylight.wiring.install() at start-up.")
    payload = data.model_dump_json() if isinstance(data, BaseModel) else json.dumps(data)
    await lock_workspace_writes(session, workspace_id)
    now = utcnow()
    event_id = await EventRepository(session, workspace_id).record(type, payload, now)
    # Not added to the session: the row is written; subscribers read its fields.
    event = Event(id=event_id, workspace_id=workspace_id, type=type, data=payload, created_at=now)
    if publish:
        for subscriber in _subscribers:
            await subscriber(session, event)
    mark_pending(session.info, workspace_id)
    return event


async def emit_many(
    session: AsyncSession, workspace_id: int, items: Sequence[tuple[str, BaseModel]]
) -> list[Event]:
    """`emit` for many events of one workspace at once (a batch of webhooks): one INSERT,
    ids in the order given, one wake-up."""
    if not items:
        return []
    if not _subscribers:
        raise RuntimeError("No event subscribers: call skylight.wiring.install() at start-up.")
    await lock_workspace_writes(session, workspace_id)
    now = utcnow()
    rows = [(type, data.model_dump_json()) for type, data in items]
    repo = EventRepository(session, workspace_id)
    ids = await repo.record_many([(type, payload, now) for type, payload in rows])
    events = [
        Event(id=event_id, workspace_id=workspace_id, type=type, data=payload, created_at=now)
        for event_id, (type, payload) in zip(ids, rows, strict=True)
    ]
    for event in events:
        for subscriber in _subscribers:
            await subscriber(session, event)
    await repo.notify()
    mark_pending(session.info, workspace_id)
    return events


_CURSOR = re.compile(r"[0-9]{1,18}")


def parse_cursor(value: str | None) -> int:
    """Cursors are event ids: `evt_123` or `123`; none means from the start."""
    if value is None or value == "":
        return 0
    raw = value.removeprefix("evt_")
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
    if not _CURSOR.fullmatch(raw):
        raise Unprocessable("Invalid cursor.", errors=field_error("after", "Use an event id."))
    return int(raw)
