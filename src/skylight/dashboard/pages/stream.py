"""The pages' live updates: the workspace's event stream, authenticated by the session cookie."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from skylight.dashboard.security import SESSION_COOKIE, Me
from skylight.events.service import parse_cursor
from skylight.events.stream import event_stream
from skylight.kit.db import Database
from skylight.kit.dependencies import Db
from skylight.users import service as users

router = APIRouter()
# A stream outlives the request that opened it: it ends soon after its session does (sign-out
# elsewhere, expiry). The stream sends at least a keep-alive every 15 s, so it is checked then.
RECHECK_SECONDS = 30.0


async def _while_signed_in(
    db: Database, token: str, frames: AsyncIterator[str]
) -> AsyncIterator[str]:
    checked = time.monotonic()
    try:
        async for frame in frames:
            if time.monotonic() - checked >= RECHECK_SECONDS:
                if await users.resolve(db, token) is None:
                    return  # this frame, too, is not for a signed-out browser
                checked = time.monotonic()
            yield frame
    finally:
        close = getattr(frames, "aclose", None)  # ends its subscription now, not at GC
        if close is not None:
            await close()


@router.get("/events/stream", include_in_schema=False)
async def stream(
    request: Request,
    me: Me,
    db: Db,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
    after: Annotated[str | None, Query(max_length=32)] = None,
) -> StreamingResponse:
    """From the page's cursor (the newest event when it was rendered); a reconnecting browser
    sends Last-Event-ID and misses nothing."""
    cursor = parse_cursor(last_event_id or after)
    frames = event_stream(db, request.app.state.notifier, me.workspace_id, cursor, None)
    token = request.cookies.get(SESSION_COOKIE, "")
    return StreamingResponse(
        _while_signed_in(db, token, frames),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
