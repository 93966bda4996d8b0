from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer


def utcnow() -> datetime:
    return datetime.now(UTC)


# What "now" is, injected where waiting is the logic (leases, intervals, expiry), so tests move
# time on instead of sleeping through it.
Clock = Callable[[], datetime]


def format_api_datetime(value: datetime) -> str:
    """The seeds' UTC format with microseconds: 2026-03-04T12:00:00.000000Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


ApiDateTime = Annotated[datetime, PlainSerializer(format_api_datetime, return_type=str)]
