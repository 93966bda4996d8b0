from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from skylight.apikeys import service as apikeys
from skylight.apikeys.dependencies import CurrentCaller
from skylight.events.repository import EventRepository
from skylight.events.schemas import CursorMeta, EventOut, EventPage
from skylight.events.service import parse_cursor
from skylight.events.stream import event_stream
from skylight.events.types import EVENT_TYPES
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.errors import Unprocessable, field_error

router = APIRouter(prefix="/events", tags=["events"])

TypeFilter = Annotated[
    list[str] | None, Query(alias="type", max_length=20, description="Only these event types")
]
Cursor = Annotated[
    str | None, Query(max_length=32, description="An event id; returns events after it")
]


def _types(values: list[str] | None) -> list[str] | None:
    unknown = sorted(set(values or []) - set(EVENT_TYPES))
    if unknown:
        raise Unprocessable(
            "Unknown event type.", errors=field_error("type", f"Unknown: {', '.join(unknown)}")
        )
    return values or None


@router.get("", response_model=EventPage)
async def list_events(
    caller: CurrentCaller,
    db: Db,
    after: Cursor = None,
    type: TypeFilter = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> EventPage:
    """Oldest first after the cursor: page with meta.next_cursor until has_more is false."""
    cursor, types = parse_cursor(after), _types(type)
    async with db.transaction() as session:
        rows = await EventRepository(session, caller.workspace_id).after(
            cursor, types=types, limit=limit + 1
        )
    page, has_more = rows[:limit], len(rows) > limit
    next_cursor = page[-1].public_id if page else after
    return EventPage(
        data=[EventOut.build(e) for e in page],
        meta=CursorMeta(next_cursor=next_cursor, has_more=has_more),
    )


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_events(
    request: Request,
    caller: CurrentCaller,
    db: Db,
    settings: AppSettings,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
    after: Cursor = None,
    type: TypeFilter = None,
) -> StreamingResponse:
    """Live events. Reconnect with Last-Event-ID (browsers do it themselves) to miss none.
    The stream ends soon after its key is revoked."""
    cursor, types = parse_cursor(last_event_id or after), _types(type)

    async def key_still_active() -> bool:
        async with db.read() as session:
            return await apikeys.is_active(session, caller.api_key_id)

    frames = event_stream(
        db,
        request.app.state.notifier,
        caller.workspace_id,
        cursor,
        types,
        still_allowed=key_still_active,
        recheck_seconds=settings.stream_recheck_seconds,
    )
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
