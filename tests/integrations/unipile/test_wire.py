"""Pure helpers: provider ids, timestamps, error mapping, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from skylight.integrations.unipile import whatsapp_provider_id
from skylight.integrations.unipile.errors import (
    UnipileAccountDisconnected,
    UnipileBadRequest,
    UnipileCheckpointError,
    UnipileInvalidRecipient,
    UnipilePermanentError,
    UnipileRateLimited,
    UnipileServerError,
    UnipileTransientError,
    UnipileUnprocessable,
    error_class_for,
)
from skylight.integrations.unipile.simulator.errors import SimError
from skylight.integrations.unipile.simulator.wire import (
    decode_cursor,
    encode_cursor,
    iso_ms,
    parse_iso_ms,
)
from skylight.integrations.unipile.transport import parse_retry_after, redact
from skylight.integrations.unipile.wire import format_timestamp


@pytest.mark.parametrize(
    "phone",
    ["+966501234567", "+966 50 123 4567", "00966501234567", "966-50-123-4567", "+٩٦٦٥٠١٢٣٤٥٦٧"],
)
def test_whatsapp_provider_id(phone: str) -> None:
    assert whatsapp_provider_id(phone) == "966501234567@s.whatsapp.net"


@pytest.mark.parametrize("phone", ["", "abc", "+12", "+1234567890123456"])
def test_whatsapp_provider_id_rejects(phone: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        whatsapp_provider_id(phone)


def test_format_timestamp() -> None:
    riyadh = timezone(timedelta(hours=3))
    moment = datetime(2025, 1, 15, 13, 30, 0, 123456, tzinfo=riyadh)
    assert format_timestamp(moment) == "2025-01-15T10:30:00.123Z"
    with pytest.raises(ValueError, match="timezone"):
        format_timestamp(datetime(2025, 1, 15))  # naive: the case under test


def test_iso_ms_round_trip() -> None:
    for ms in (0, 1_736_937_000_001, 1_736_937_000_999, 1_700_000_000_123):
        assert parse_iso_ms(iso_ms(ms), "t") == ms
    assert iso_ms(1_736_937_000_000) == "2025-01-15T10:30:00.000Z"
    assert datetime.fromisoformat(iso_ms(5)).tzinfo == UTC


def test_cursor_round_trip_and_garbage() -> None:
    cursor = encode_cursor({"account_id": "a"}, 10, "last", 1_736_937_000_000)
    decoded = decode_cursor(cursor)
    assert decoded["account_id"] == "a"
    assert decoded["limit"] == 10
    assert decoded["last_ms"] == 1_736_937_000_000
    for bad in ("abc", "e30=", "bnVsbA=="):
        with pytest.raises(SimError):
            decode_cursor(bad)


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (400, "errors/too_many_characters", UnipileBadRequest),
        (401, "errors/invalid_checkpoint_solution", UnipileCheckpointError),
        (401, "errors/disconnected_account", UnipileAccountDisconnected),
        (422, "errors/invalid_recipient", UnipileInvalidRecipient),
        (422, "errors/user_unreachable", UnipileInvalidRecipient),
        (422, "errors/cannot_resend_yet", UnipileUnprocessable),
        (429, None, UnipileRateLimited),
        (503, "errors/service_unavailable", UnipileServerError),
        (408, None, UnipileServerError),
        (409, None, UnipilePermanentError),
    ],
)
def test_error_classes(status: int, error_type: str | None, expected: type) -> None:
    cls = error_class_for(status, error_type)
    assert cls is expected
    transient = status in (408, 429) or status >= 500
    assert issubclass(cls, UnipileTransientError) == transient


def test_retry_after_and_redaction() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert redact("key=abc pw=xyz", ["abc", "xyz", ""]) == "key=[redacted] pw=[redacted]"
