"""Server-Sent Events: the same events as GET /events, live, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence

from skylight.events.models import Event
from skylight.events.notifier import Notifier
from skylight.events.repository import EventRepository
from skylight.events.schemas import EventOut
from skylight.kit.db import Database

BATCH = 100
# Readers poll this often even without a wake-up, so nothing waits on a lost notification.
POLL_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0


def frame(event: Event) -> str:
    body = EventOut.build(event).model_dump_json()
    return f"id: {event.public_id}\nevent: {event.type}\ndata: {body}\n\n"


async def event_stream(
    db: Database,
    notifier: Notifier,
    workspace_id: int,
    cursor: int,
    types: Sequence[str] | None,
) -> AsyncIterator[str]:
    async with notifier.subscription(workspace_id) as waiter:
        yield f"retry: 2000\n: {json.dumps({'resumed_after': cursor})}\n\n"
        idle = 0.0
        while True:
            # Clear before reading: a commit landing after the read still wakes the wait.
            waiter.clear()
            async with db.transaction() as session:
                batch = await EventRepository(session, workspace_id).after(
                    cursor, types=types, limit=BATCH
                )
            for event in batch:
                cursor = event.id
                yield frame(event)
            if len(batch) == BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout=POLL_SECONDS)
                idle = 0.0
                continue
            idle += POLL_SECONDS
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
