"""The pages' live updates: the workspace's event stream, authenticated by the session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from skylight.dashboard.security import SESSION_COOKIE, Me
from skylight.events.service import parse_cursor
from skylight.events.stream import event_stream
from skylight.kit.dependencies import AppSettings, Db
from skylight.users import service as users

router = APIRouter()


@router.get("/events/stream", include_in_schema=False)
async def stream(
    request: Request,
    me: Me,
    db: Db,
    settings: AppSettings,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
    after: Annotated[str | None, Query(max_length=32)] = None,
) -> StreamingResponse:
    """From the page's cursor (the newest event when it was rendered); a reconnecting browser
    sends Last-Event-ID and misses nothing. It ends soon after its session does (sign-out
    elsewhere, expiry)."""
    cursor = parse_cursor(last_event_id or after)
    token = request.cookies.get(SESSION_COOKIE, "")

    async def still_signed_in() -> bool:
        return await users.resolve(db, token) is not None

    frames = event_stream(
        db,
        request.app.state.notifier,
        me.workspace_id,
        cursor,
        None,
        still_allowed=still_signed_in,
        recheck_seconds=settings.stream_recheck_seconds,
    )
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
