from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.models import Event
from skylight.events.notifier import mark_pending
from skylight.events.repository import EventRepository
from skylight.kit.errors import Unprocessable, field_error
from skylight.kit.time import utcnow
from skylight.webhooks.outbox import schedule_deliveries


async def emit(
    session: AsyncSession, workspace_id: int, type: str, data: BaseModel | dict[str, Any]
) -> Event:
    """Record an event in the caller's transaction, with its webhook deliveries: they exist if
    and only if the change they describe commits (an outbox)."""
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    repo = EventRepository(session, workspace_id)
    await repo.serialize_writers()
    event = await repo.add(
        Event(workspace_id=workspace_id, type=type, data=json.dumps(payload), created_at=utcnow())
    )
    await schedule_deliveries(session, event)
    await repo.notify()
    mark_pending(session.info, workspace_id)
    return event


def parse_cursor(value: str | None) -> int:
    """Cursors are event ids: `evt_123` or `123`; none means from the start."""
    if value is None or value == "":
        return 0
    raw = value.removeprefix("evt_")
    if not raw.isdigit() or len(raw) > 18:
        raise Unprocessable("Invalid cursor.", errors=field_error("after", "Use an event id."))
    return int(raw)
