"""Server-Sent Events: the same events as GET /events, live, resumable with Last-Event-ID.

A stream outlives the request that opened it, so it re-checks its credentials (the API key, or
the dashboard's session) every `recheck_seconds`, whether events flow or not, and ends when
they are revoked or expired; no frame is sent after a failed check."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from skylight.events.models import Event
from skylight.events.notifier import Notifier
from skylight.events.repository import EventRepository
from skylight.events.schemas import EventOut
from skylight.kit.db import Database

BATCH = 100
# Readers poll this often even without a wake-up, so nothing waits on a lost notification.
POLL_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0
MIN_WAIT_SECONDS = 0.05

# Still allowed to read this workspace's events? (key not revoked, session not ended)
StillAllowed = Callable[[], Awaitable[bool]]


def frame(event: Event) -> str:
    body = EventOut.build(event).model_dump_json()
    return f"id: {event.public_id}\nevent: {event.type}\ndata: {body}\n\n"


async def event_stream(
    db: Database,
    notifier: Notifier,
    workspace_id: int,
    cursor: int,
    types: Sequence[str] | None,
    *,
    still_allowed: StillAllowed,
    recheck_seconds: float,
) -> AsyncIterator[str]:
    async with notifier.subscription(workspace_id) as waiter:
        yield f"retry: 2000\n: {json.dumps({'resumed_after': cursor})}\n\n"
        checked = last_frame = time.monotonic()
        while True:
            if time.monotonic() - checked >= recheck_seconds:
                if not await still_allowed():
                    return
                checked = time.monotonic()
            # Clear before reading: a commit landing after the read still wakes the wait.
            waiter.clear()
            async with db.transaction() as session:
                batch = await EventRepository(session, workspace_id).after(
                    cursor, types=types, limit=BATCH
                )
            for event in batch:
                cursor = event.id
                yield frame(event)
            if batch:
                last_frame = time.monotonic()
            if len(batch) == BATCH:
                continue
            until_check = checked + recheck_seconds - time.monotonic()
            with contextlib.suppress(TimeoutError):
                # A floor, so a tiny recheck interval cannot turn this into a busy loop.
                wait = max(MIN_WAIT_SECONDS, min(POLL_SECONDS, until_check))
                await asyncio.wait_for(waiter.wait(), timeout=wait)
            if time.monotonic() - last_frame >= KEEPALIVE_SECONDS:
                last_frame = time.monotonic()
                yield ": keep-alive\n\n"
