"""Channel rules: connect (QR or Instagram credentials), status, refresh, disconnect.

Each flow runs as short steps: read in one transaction, call Unipile with none open, write in
another. Nothing is written when Unipile fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.cleanup import delete_upstream, discard_untracked, discard_upstream
from skylight.channels.events import channel_event
from skylight.channels.guards import disconnect_refusal
from skylight.channels.models import AttemptState, Channel, ChannelAttempt
from skylight.channels.reconnect import reconnectable, reopen
from skylight.channels.repository import ChannelRepository
from skylight.channels.schemas import ChannelOut, ChannelStatusOut, QrConnectOut
from skylight.channels.state import (
    ATTEMPT_TTL,
    apply_upstream_status,
    expire_if_due,
    username_from_account,
)
from skylight.channels.types import QR_CHANNELS, ChannelType, SyncStatus
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError, UnipileNotFound, UnipileTimeout
from skylight.kit.db import Database
from skylight.kit.errors import Conflict, NotFound, Unprocessable, UpstreamUnavailable
from skylight.kit.time import utcnow

logger = logging.getLogger("skylight.channels")

# How long a status poll waits for Unipile before answering from local records.
POLL_BUDGET_SECONDS = 2.0
# What status says about an attempt that ended without connecting (completed and in_progress
# are both false then, and the client needs to know why before it starts over).
ENDED = {
    AttemptState.FAILED: "The connection attempt failed. Connect again for a new QR code.",
    AttemptState.EXPIRED: "The connection attempt expired before it was completed. "
    "Connect again for a new QR code.",
    AttemptState.REPLACED: "A newer connect call replaced this attempt. "
    "Poll the account_id it returned.",
}


def not_connected(channel_type: ChannelType) -> NotFound:
    return NotFound(f"{channel_type.label} is not connected.")


async def start_account(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    account_id: str,
    *,
    unipile: UnipileClient,
    qr_code: str | None,
    checkpoint_type: str | None,
    connected: bool,
    username: str | None = None,
    deleted: Iterable[str] = (),
) -> Channel:
    """Record a new Unipile account as the channel's current one, replacing any pending try.

    Connects can race (a double click), each with its own new Unipile account. The channel row
    is locked while one is recorded: a later one replaces a pending try, whose account is then
    deleted; one that finds the channel connected meanwhile loses, its account is deleted and
    the answer is 409. `deleted`: accounts the caller already removed at Unipile."""
    now = utcnow()
    try:
        channel, replaced = await _record(
            db,
            workspace_id,
            channel_type,
            account_id,
            now,
            qr_code,
            checkpoint_type,
            connected,
            username,
        )
    except Conflict:
        await discard_upstream(unipile, [account_id])
        raise
    await discard_upstream(unipile, sorted(replaced - {account_id} - set(deleted)))
    return channel


async def _record(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    account_id: str,
    now: datetime,
    qr_code: str | None,
    checkpoint_type: str | None,
    connected: bool,
    username: str | None,
) -> tuple[Channel, set[str]]:
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.lock(channel_type)
        if channel.is_connected:
            raise already_connected(channel_type)
        replaced = {channel.unipile_account_id} if channel.unipile_account_id else set()
        for old in await repo.pending_attempts(channel_type):
            old.state = AttemptState.REPLACED
            replaced.add(old.unipile_account_id)
        await repo.add(
            ChannelAttempt(
                workspace_id=workspace_id,
                type=channel_type,
                unipile_account_id=account_id,
                state=AttemptState.CONNECTED if connected else AttemptState.PENDING,
                checkpoint_type=checkpoint_type,
                qr_code=qr_code,
                expires_at=now + ATTEMPT_TTL,
            )
        )
        channel.unipile_account_id = account_id
        channel.username = username
        channel.connected_at = now if connected else None
        channel.sync_status = (SyncStatus.OK if connected else SyncStatus.CONNECTING).value
        channel.last_synced_at = now
        await session.flush()
        return channel, replaced


def already_connected(channel_type: ChannelType) -> Conflict:
    return Conflict(f"{channel_type.label} is already connected. Disconnect it first.")


async def ensure_can_connect(
    db: Database, workspace_id: int, channel_type: ChannelType
) -> list[str]:
    """409 when connected; otherwise the Unipile accounts the new attempt supersedes."""
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.get(channel_type)
        if channel is not None and channel.is_connected:
            raise already_connected(channel_type)
        stale = {a.unipile_account_id for a in await repo.pending_attempts(channel_type)}
        if channel is not None and channel.unipile_account_id:
            stale.add(channel.unipile_account_id)
        return sorted(stale)


def login_timed_out(channel_type: ChannelType) -> UpstreamUnavailable:
    return UpstreamUnavailable(
        f"Unipile did not answer in time while connecting {channel_type.label}; nothing was "
        "kept. Try again."
    )


async def connect_qr(
    db: Database, workspace_id: int, channel_type: ChannelType, *, unipile: UnipileClient
) -> QrConnectOut:
    again = await reconnectable(db, workspace_id, channel_type)
    if again is not None:
        reconnected = await _reconnect_qr(
            db, workspace_id, channel_type, again.account_id, unipile=unipile
        )
        if reconnected is not None:
            return reconnected
    stale = await ensure_can_connect(db, workspace_id, channel_type)
    for account_id in stale:
        await delete_upstream(unipile, account_id)
    started = utcnow()
    try:
        checkpoint = await unipile.connect_account(channel_type.provider)
    except UnipileTimeout:
        await discard_untracked(db, channel_type, started, unipile=unipile)
        raise login_timed_out(channel_type) from None
    qr_code = _qr_code(checkpoint)
    await start_account(
        db,
        workspace_id,
        channel_type,
        checkpoint.account_id,
        unipile=unipile,
        qr_code=qr_code,
        checkpoint_type="QRCODE",
        connected=False,
        deleted=stale,
    )
    return QrConnectOut(account_id=checkpoint.account_id, qr_code=qr_code)


def _qr_code(answer: object) -> str:
    qr_code = getattr(getattr(answer, "checkpoint", None), "qrcode", None)
    if not isinstance(qr_code, str) or not qr_code:
        raise Unprocessable("Unipile did not return a QR code for this account.")
    return qr_code


async def _reconnect_qr(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    account_id: str,
    *,
    unipile: UnipileClient,
) -> QrConnectOut | None:
    """A new QR code for the same account (its chats kept); None when Unipile no longer has
    the account (then a new one is connected)."""
    try:
        answer = await unipile.reconnect_account(account_id, channel_type.provider)
    except UnipileNotFound:
        return None
    qr_code = _qr_code(answer)
    _, replaced = await reopen(
        db,
        workspace_id,
        channel_type,
        account_id,
        qr_code=qr_code,
        checkpoint_type="QRCODE",
        connected=False,
    )
    await discard_upstream(unipile, sorted(replaced))
    return QrConnectOut(account_id=account_id, qr_code=qr_code)


async def status(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    account_id: str | None,
    timezone: str,
    *,
    unipile: UnipileClient,
) -> tuple[ChannelStatusOut, str | None]:
    """The channel with completed/in_progress, and why the attempt ended if it failed."""
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.get(channel_type)
        attempt = await _attempt_for(repo, channel_type, channel, account_id)
        # Instagram's status is from local records (the seed); QR logins are also polled.
        poll = (
            channel_type in QR_CHANNELS
            and attempt is not None
            and attempt.pending
            and attempt.expires_at > utcnow()
        )
    if poll and attempt is not None:
        # Don't wait only for the webhook: ask Unipile (a lost webhook must not leave it stuck).
        await _poll_account(
            db, workspace_id, channel_type, attempt.unipile_account_id, unipile=unipile
        )
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.get(channel_type)
        attempt = await _attempt_for(repo, channel_type, channel, account_id)
        if attempt is not None:
            expire_if_due(channel, attempt, utcnow())
        if channel is None:
            raise not_connected(channel_type)
        out = ChannelOut.build(channel, timezone)
        message = None
        if attempt is None:
            completed, in_progress = channel.is_connected, False
        else:
            completed = attempt.state == AttemptState.CONNECTED and channel.is_connected
            in_progress = attempt.pending
            message = ENDED.get(attempt.state)
        result = ChannelStatusOut(**out.model_dump(), completed=completed, in_progress=in_progress)
        return result, message


async def _attempt_for(
    repo: ChannelRepository,
    channel_type: ChannelType,
    channel: Channel | None,
    account_id: str | None,
) -> ChannelAttempt | None:
    if account_id is not None:
        attempt = await repo.attempt(channel_type, account_id)
        if attempt is None:
            raise NotFound(f"No {channel_type.label} connection attempt with this account_id.")
        return attempt
    if channel is None or channel.unipile_account_id is None:
        return None
    return await repo.attempt(channel_type, channel.unipile_account_id)


async def _poll_account(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    account_id: str,
    *,
    unipile: UnipileClient,
) -> None:
    try:
        # Bounded: the client retries a failing GET for up to a minute, but a poll must answer
        # in time for the next one (the webhook is the main path, this is the safety net).
        async with asyncio.timeout(POLL_BUDGET_SECONDS):
            account = await unipile.get_account(account_id)
    except UnipileNotFound:
        await apply_status(
            db, workspace_id, channel_type, account_id, "DELETED", username=None, only_pending=True
        )
        return
    except (UnipileError, TimeoutError):
        return  # best effort: the local state stands and the next poll tries again
    if account.status is not None:
        await apply_status(
            db,
            workspace_id,
            channel_type,
            account_id,
            account.status,
            username=username_from_account(channel_type, account),
            only_pending=True,
        )


async def apply_status(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    account_id: str,
    upstream: str,
    *,
    username: str | None,
    only_pending: bool = False,
) -> None:
    """`only_pending`: for a status polled to finish a login. Once the attempt is no longer
    pending a webhook has moved it on, and what we read before that may be older than it
    (OK read, CREDENTIALS delivered, OK written would hide the CREDENTIALS)."""
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.get(channel_type)
        if channel is not None and channel.unipile_account_id != account_id:
            channel = None
        attempt = await repo.attempt(channel_type, account_id)
        if only_pending and (attempt is None or not attempt.pending):
            return
        changed = apply_upstream_status(channel, attempt, upstream, utcnow())
        if channel is not None and username:
            channel.username = username
        if changed and channel is not None:
            await channel_event(session, channel, "channel.status_changed")


async def refresh(
    db: Database,
    workspace_id: int,
    channel_type: ChannelType,
    timezone: str,
    *,
    unipile: UnipileClient,
) -> ChannelOut:
    async with db.transaction() as session:
        channel = await ChannelRepository(session, workspace_id).get(channel_type)
        if channel is None or channel.unipile_account_id is None:
            raise not_connected(channel_type)
        account_id = channel.unipile_account_id
    try:
        account = await unipile.get_account(account_id)
    except UnipileNotFound:
        await apply_status(db, workspace_id, channel_type, account_id, "DELETED", username=None)
    else:
        if account.status is not None:
            await apply_status(
                db,
                workspace_id,
                channel_type,
                account_id,
                account.status,
                username=username_from_account(channel_type, account),
            )
    async with db.transaction() as session:
        channel = await ChannelRepository(session, workspace_id).get(channel_type)
        if channel is None:
            raise not_connected(channel_type)
        return ChannelOut.build(channel, timezone)


async def list_channels(
    session: AsyncSession, workspace_id: int, timezone: str
) -> list[ChannelOut]:
    rows = await ChannelRepository(session, workspace_id).all()
    return [ChannelOut.build(row, timezone) for row in rows]


async def disconnect(
    db: Database, workspace_id: int, channel_type: ChannelType, *, unipile: UnipileClient
) -> None:
    async with db.transaction() as session:
        channel = await ChannelRepository(session, workspace_id).get(channel_type)
        if channel is None:
            raise not_connected(channel_type)
        refusal = await disconnect_refusal(session, workspace_id, channel_type)
        if refusal is not None:
            raise Unprocessable(refusal)
        account_id = channel.unipile_account_id
    if account_id:
        await delete_upstream(unipile, account_id)
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        channel = await repo.get(channel_type)
        if channel is not None:
            channel.unipile_account_id = None
            await channel_event(session, channel, "channel.disconnected")
            await repo.remove(channel)
