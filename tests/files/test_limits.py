"""The per-channel table: sizes and types, and what each refusal says."""

from __future__ import annotations

from skylight.channels.types import ChannelType
from skylight.files import limits
from skylight.files.limits import MB, check_for_channel, check_upload


def test_the_strictest_limit_of_unipile_and_the_network_holds() -> None:
    whatsapp = limits.LIMITS[ChannelType.WHATSAPP]
    assert whatsapp[limits.Kind.IMAGE].max_bytes == 5 * MB  # WhatsApp's own
    assert whatsapp[limits.Kind.FILE].max_bytes == 15 * MB  # Unipile's, under WhatsApp's 100
    assert limits.MAX_UPLOAD_BYTES == 15 * MB


def test_each_refusal_names_the_limit() -> None:
    breach = check_for_channel(ChannelType.WHATSAPP, "image/jpeg", 6 * MB)
    assert breach is not None
    assert breach.too_large
    assert breach.reason == "The file is 6 MB; WhatsApp images may be at most 5 MB."

    breach = check_for_channel(ChannelType.INSTAGRAM, "application/pdf", 1000)
    assert breach is not None
    assert not breach.too_large
    assert breach.reason == "Instagram does not carry documents."

    breach = check_for_channel(ChannelType.WHATSAPP, "image/gif", 1000)
    assert breach is not None
    assert breach.reason == "WhatsApp images may be JPEG or PNG, not GIF."

    assert check_for_channel(ChannelType.TELEGRAM, "image/gif", 1000) is None


def test_uploads_are_checked_against_every_channel_at_once() -> None:
    assert check_upload("application/pdf", 14 * MB) is None
    too_big = check_upload("application/pdf", 15 * MB + 1)
    assert too_big is not None
    assert too_big.too_large
    assert "at most 15 MB" in too_big.reason
    exe = check_upload("application/x-msdownload", 100)
    assert exe is not None
    assert not exe.too_large
    assert exe.reason.startswith("application/x-msdownload files cannot be sent on any channel.")
