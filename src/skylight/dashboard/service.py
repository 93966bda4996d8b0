"""What the Settings -> Channels page shows: one card per channel type, built from the channels
service (the same status the API's pollers get) and the pending login's QR code or 2FA step."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from skylight.channels import qr
from skylight.channels import service as channels
from skylight.channels.instagram_errors import CAPTCHA
from skylight.channels.repository import ChannelRepository
from skylight.channels.schemas import ChannelStatusOut
from skylight.channels.types import HEALTHY, QR_CHANNELS, ChannelType, SyncStatus
from skylight.integrations.unipile.client import UnipileClient
from skylight.kit.db import Database
from skylight.kit.errors import NotFound

HOW_TO_SCAN = {
    ChannelType.WHATSAPP: "On your phone open WhatsApp → Settings → Linked devices → "
    "Link a device, and scan this code.",
    ChannelType.TELEGRAM: "On your phone open Telegram → Settings → Devices → "
    "Link Desktop Device, and scan this code.",
}
STATUS_LABEL = {
    SyncStatus.OK: "Connected",
    SyncStatus.SYNC_SUCCESS: "Connected",
    SyncStatus.CONNECTING: "Connecting",
    SyncStatus.CREDENTIALS: "Re-connect needed",
    SyncStatus.ERROR: "Error",
    SyncStatus.STOPPED: "Paused",
    SyncStatus.CREATION_FAIL: "Failed",
}
STATUS_HELP = {
    SyncStatus.OK: "Connected and healthy.",
    SyncStatus.SYNC_SUCCESS: "Connected; the first sync is done.",
    SyncStatus.CONNECTING: "The account is initializing.",
    SyncStatus.CREDENTIALS: "The password changed: disconnect and connect again.",
    SyncStatus.ERROR: "Something went wrong: refresh, or disconnect and connect again.",
    SyncStatus.STOPPED: "The account is paused.",
    SyncStatus.CREATION_FAIL: "The connection attempt failed: connect again.",
}


@dataclass(frozen=True)
class PendingLogin:
    account_id: str
    checkpoint_type: str | None
    qr_image: str | None  # a data: URL of the SVG, for an <img>


@dataclass(frozen=True)
class Card:
    type: ChannelType
    channel: ChannelStatusOut | None = None
    pending: PendingLogin | None = None
    ended: str | None = None  # why the last attempt ended without connecting

    @property
    def label(self) -> str:
        return self.type.label

    @property
    def uses_qr(self) -> bool:
        return self.type in QR_CHANNELS

    @property
    def healthy(self) -> bool:
        return self.channel is not None and self.channel.sync_status in HEALTHY

    @property
    def transitional(self) -> bool:
        """Waiting for a scan, a code or the first sync: the page polls the card meanwhile."""
        if self.pending is not None:
            return True
        return self.channel is not None and self.channel.sync_status is SyncStatus.CONNECTING

    @property
    def fingerprint(self) -> str:
        """What the card shows, so a poll can answer "no change" without sending it again."""
        parts = [
            self.pending.account_id if self.pending else "",
            self.channel.sync_status.value if self.channel else "",
            str(self.channel.is_connected) if self.channel else "",
            (self.channel.username or "") if self.channel else "",
            self.ended or "",
        ]
        return "|".join(parts)

    @property
    def status_label(self) -> str:
        if self.pending is not None:
            return "Waiting for the scan" if self.uses_qr else "Waiting for the code"
        if self.channel is None:
            return "Not connected"
        return STATUS_LABEL[self.channel.sync_status]

    @property
    def help(self) -> str:
        if self.pending is not None and self.uses_qr:
            return HOW_TO_SCAN[self.type]
        if self.channel is None:
            return "Not connected."
        return STATUS_HELP[self.channel.sync_status]


def qr_data_url(data: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr.render_svg(data)).decode()


async def card(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    timezone: str,
    *,
    unipile: UnipileClient,
) -> Card:
    """The channel's card. A pending QR login is polled at Unipile (as the API's status does),
    so a scan is noticed even when its webhook is late."""
    try:
        status, ended = await channels.status(
            db, workspace_id, channel_type, None, timezone, unipile=unipile
        )
    except NotFound:
        return Card(type=channel_type)
    pending = await _pending(db, workspace_id, channel_type) if status.in_progress else None
    if pending is not None and pending.checkpoint_type == "CAPTCHA":
        # Nothing to enter here: the card offers to connect again, saying why.
        return Card(type=channel_type, channel=status, ended=CAPTCHA)
    return Card(type=channel_type, channel=status, pending=pending, ended=ended)


async def _pending(
    db: Database, workspace_id: int, channel_type: ChannelType
) -> PendingLogin | None:
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.get(channel_type)
        if channel is None or channel.unipile_account_id is None:
            return None
        attempt = await repo.attempt(channel_type, channel.unipile_account_id)
        if attempt is None or not attempt.pending:
            return None
        account_id, checkpoint, code = (
            attempt.unipile_account_id,
            attempt.checkpoint_type,
            attempt.qr_code,
        )
    return PendingLogin(
        account_id=account_id,
        checkpoint_type=checkpoint,
        qr_image=qr_data_url(code) if code else None,
    )


async def cards(
    db: Database, workspace_id: int, timezone: str, *, unipile: UnipileClient
) -> list[Card]:
    return [await card(db, workspace_id, kind, timezone, unipile=unipile) for kind in ChannelType]
