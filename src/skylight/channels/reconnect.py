"""Reconnecting an account that needs its owner again, instead of replacing it.

An account that was connected and is now down (CREDENTIALS, or ERROR/STOPPED) is reconnected
with ``POST /accounts/{id}``: Unipile keeps the account id, its chats and its webhooks, so our
stored chats, contacts' ids and history stay valid. Deleting it and connecting a new one would
lose them. A reconnect is an attempt like a first connect (same account id, one row per
account): it succeeds when Unipile says RECONNECTED/OK."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from skylight.channels.models import AttemptState, Channel, ChannelAttempt
from skylight.channels.repository import ChannelRepository
from skylight.channels.state import ATTEMPT_TTL
from skylight.channels.types import ChannelType, SyncStatus
from skylight.kit.db import Database
from skylight.kit.errors import Conflict
from skylight.kit.time import utcnow

# Down, but the account is still Unipile's and its owner can bring it back.
NEEDS_OWNER = frozenset({SyncStatus.CREDENTIALS, SyncStatus.ERROR, SyncStatus.STOPPED})


@dataclass(frozen=True)
class Reconnectable:
    account_id: str
    username: str | None


async def reconnectable(
    db: Database, workspace_id: int, channel_type: ChannelType
) -> Reconnectable | None:
    """The channel's account when it was connected once and is down now; None when a
    connect should create a new account (none yet, never connected, or alive)."""
    async with db.transaction() as session:
        channel = await ChannelRepository(session, workspace_id).get(channel_type)
        if channel is None or channel.unipile_account_id is None:
            return None
        if channel.connected_at is None or channel.status not in NEEDS_OWNER:
            return None
        return Reconnectable(channel.unipile_account_id, channel.username)


async def reopen(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    account_id: str,
    *,
    qr_code: str | None,
    checkpoint_type: str | None,
    connected: bool,
) -> tuple[Channel, set[str]]:
    """Record a reconnect of the channel's own account: its attempt row is opened again (or
    marked connected) and other pending tries are replaced (their accounts returned, for the
    caller to delete at Unipile). The channel keeps its status until Unipile reports the
    account back (a webhook or a poll)."""
    now = utcnow()
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.lock(channel_type)
        if channel.unipile_account_id != account_id:
            raise Conflict(f"The {channel_type.label} channel changed meanwhile. Try again.")
        replaced: set[str] = set()
        for old in await repo.pending_attempts(channel_type):
            if old.unipile_account_id != account_id:
                old.state = AttemptState.REPLACED
                replaced.add(old.unipile_account_id)
        attempt = await repo.attempt(channel_type, account_id)
        if attempt is None:
            attempt = ChannelAttempt(
                workspace_id=workspace_id, type=channel_type, unipile_account_id=account_id
            )
            await repo.add(attempt)
        _restart(attempt, now, qr_code, checkpoint_type, connected)
        if connected:
            channel.sync_status = SyncStatus.OK.value
            channel.last_synced_at = now
        await session.flush()
    return channel, replaced


def _restart(
    attempt: ChannelAttempt,
    now: datetime,
    qr_code: str | None,
    checkpoint_type: str | None,
    connected: bool,
) -> None:
    attempt.state = AttemptState.CONNECTED if connected else AttemptState.PENDING
    attempt.qr_code = qr_code
    attempt.checkpoint_type = checkpoint_type
    attempt.expires_at = now + ATTEMPT_TTL
