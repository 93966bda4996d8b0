from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from skylight.events.models import Event
from skylight.kit.time import format_api_datetime


class EventOut(BaseModel):
    id: str = Field(description="Stable id, e.g. evt_123; also the stream's Last-Event-ID")
    type: str
    created_at: str
    data: dict[str, Any] = Field(description="The object as the API returns it")

    @classmethod
    def build(cls, event: Event) -> EventOut:
        import json

        return cls(
            id=event.public_id,
            type=event.type,
            created_at=format_api_datetime(event.created_at),
            data=json.loads(event.data),
        )


class CursorMeta(BaseModel):
    next_cursor: str | None = Field(description="Pass as ?after= for the next page")
    has_more: bool


class EventPage(BaseModel):
    success: bool = True
    data: list[EventOut]
    meta: CursorMeta
