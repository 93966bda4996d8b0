"""A status Unipile adds one day is kept in the log and shown as ERROR, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from skylight.channels.models import Channel
from skylight.channels.state import apply_upstream_status, known_status
from skylight.channels.types import ChannelType, SyncStatus

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def test_an_unknown_status_is_shown_as_error(caplog: pytest.LogCaptureFixture) -> None:
    channel = Channel(
        workspace_id=1,
        type=ChannelType.WHATSAPP,
        unipile_account_id="acc",
        sync_status=SyncStatus.OK.value,
        connected_at=NOW,
    )
    assert apply_upstream_status(channel, None, "SUSPENDED_BY_PROVIDER", NOW)
    assert channel.sync_status == "ERROR"
    assert "SUSPENDED_BY_PROVIDER" in caplog.text
    assert known_status("CREDENTIALS") == "CREDENTIALS"
