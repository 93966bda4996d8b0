"""How Unipile's account statuses (polled or from account_status webhooks) move a channel.

Pure functions on the rows: the same status applied twice changes nothing the second time, so
duplicated webhooks are harmless."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from skylight.channels.models import AttemptState, Channel, ChannelAttempt
from skylight.channels.types import HEALTHY, ChannelType, SyncStatus
from skylight.integrations.unipile.schemas import Account

logger = logging.getLogger("skylight.channels")

# Unipile's authentication intents live five minutes.
ATTEMPT_TTL = timedelta(minutes=5)

# Source statuses and webhook-only messages -> the seed's sync_status.
_DIRECT = {
    "OK": SyncStatus.OK,
    "RECONNECTED": SyncStatus.OK,
    "SYNC_SUCCESS": SyncStatus.SYNC_SUCCESS,
    "CONNECTING": SyncStatus.CONNECTING,
    "CREDENTIALS": SyncStatus.CREDENTIALS,
    "STOPPED": SyncStatus.STOPPED,
    "ERROR": SyncStatus.ERROR,
    # Missing host permissions: not in the seed's table; the remedy is the same as for ERROR.
    "PERMISSIONS": SyncStatus.ERROR,
    "DELETED": SyncStatus.ERROR,
}
_CREATED = {"OK", "RECONNECTED", "SYNC_SUCCESS", "CREATION_SUCCESS"}
_FAILURES = {"ERROR", "CREDENTIALS", "STOPPED", "PERMISSIONS", "DELETED"}
_KNOWN = _DIRECT.keys() | _CREATED


def known_status(upstream: str) -> str:
    """Unipile may add statuses: one we do not know is kept in the log and treated as ERROR
    (our API shows only the seed's values), never a crash."""
    if upstream in _KNOWN:
        return upstream
    logger.warning("unknown Unipile account status %r, shown as ERROR", upstream)
    return "ERROR"


def apply_upstream_status(
    channel: Channel | None, attempt: ChannelAttempt | None, upstream: str, now: datetime
) -> bool:
    """Apply one Unipile status to the channel (if this account is its current one) and to the
    attempt that created the account. Returns whether anything visible changed."""
    upstream = known_status(upstream)
    before = _snapshot(channel, attempt)
    created = upstream in _CREATED
    if attempt is not None:
        # A code scanned just after our clock expired the attempt still connected the account
        # (it is still the channel's current one): the truth wins over the local expiry.
        late = attempt.state == AttemptState.EXPIRED and channel is not None
        if created and (attempt.pending or late):
            attempt.state = AttemptState.CONNECTED
        elif upstream in _FAILURES and attempt.pending:
            attempt.state = AttemptState.FAILED
    if channel is not None:
        never_connected = channel.connected_at is None
        if created and never_connected:
            channel.connected_at = now
        if upstream == "CREATION_SUCCESS":
            # Created, initial sync started; never step back from a healthy state over it.
            if channel.status not in HEALTHY:
                channel.sync_status = SyncStatus.CONNECTING.value
        elif upstream in _FAILURES and never_connected:
            channel.sync_status = SyncStatus.CREATION_FAIL.value
        elif upstream in _DIRECT:
            channel.sync_status = _DIRECT[upstream].value
        channel.last_synced_at = now
    return _snapshot(channel, attempt) != before


def expire_if_due(channel: Channel | None, attempt: ChannelAttempt, now: datetime) -> bool:
    if not attempt.pending or now < attempt.expires_at:
        return False
    attempt.state = AttemptState.EXPIRED
    current = channel is not None and channel.unipile_account_id == attempt.unipile_account_id
    if current and channel is not None and channel.connected_at is None:
        channel.sync_status = SyncStatus.CREATION_FAIL.value
    return True


def username_from_account(channel_type: ChannelType, account: Account) -> str | None:
    im = account.connection_params.im or {}
    # Until its QR code is scanned an account has no identity: its name is its own id.
    name = account.name if account.name != account.id else None
    if channel_type is ChannelType.WHATSAPP:
        phone = str(im.get("phone_number") or name or "").strip()
        if phone and not phone.startswith("+"):
            phone = "+" + phone
        return phone or None
    username = im.get("username") or name
    return str(username) if username else None


def _snapshot(channel: Channel | None, attempt: ChannelAttempt | None) -> tuple[object, ...]:
    return (
        channel.sync_status if channel else None,
        channel.is_connected if channel else None,
        attempt.state if attempt else None,
    )
