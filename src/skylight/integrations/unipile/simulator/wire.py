"""Unipile's wire conventions: ids, ms timestamps, base64 JSON cursors, limits."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from skylight.integrations.unipile.simulator.errors import invalid

DEFAULT_LIMIT = 100
MAX_LIMIT = 250
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def new_id() -> str:
    # 16 random bytes -> 22 url-safe characters, like "zYnh13HWV76_G3KyE-cAyg".
    return secrets.token_urlsafe(16)


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_ms(ms: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.sssZ``, exactly what JavaScript's toISOString() prints."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso_ms(value: str, field: str) -> int:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(f"{field} must be an ISO 8601 UTC datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic: float seconds * 1000 can land one millisecond short.
    return (moment - EPOCH) // timedelta(milliseconds=1)


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(filters: dict[str, Any], limit: int, last_id: str, last_ms: int) -> str:
    payload = {
        **filters,
        "limit": limit,
        "cursor": {"last_id": last_id, "last_date": iso_ms(last_ms)},
    }
    # Standard base64 with padding: the SDK validates [A-Za-z0-9+/=] and length % 4 == 0.
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        payload = json.loads(base64.b64decode(cursor, validate=True))
        position = payload["cursor"]
        if not isinstance(position["last_id"], str) or not isinstance(payload["limit"], int):
            raise TypeError
        payload["last_ms"] = parse_iso_ms(position["last_date"], "cursor")
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise invalid("Invalid cursor") from None
    if not isinstance(payload, dict):
        raise invalid("Invalid cursor")
    return payload
