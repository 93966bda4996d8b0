"""Instagram: credentials pass straight through to Unipile (never stored, never logged), then
zero or more verification rounds."""

from __future__ import annotations

from skylight.channels import instagram_errors as errors
from skylight.channels.cleanup import delete_upstream, discard_untracked, discard_upstream
from skylight.channels.models import AttemptState, ChannelAttempt
from skylight.channels.reconnect import reconnectable, reopen
from skylight.channels.repository import ChannelRepository
from skylight.channels.schemas import ChannelOut, InstagramConnectIn, TwoFactorRequiredOut
from skylight.channels.service import ensure_can_connect, login_timed_out, start_account
from skylight.channels.state import expire_if_due
from skylight.channels.types import HEALTHY, ChannelType, SyncStatus
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import (
    UnipileAuthenticationExpired,
    UnipileCheckpointError,
    UnipileError,
    UnipileNotFound,
    UnipileTimeout,
)
from skylight.integrations.unipile.schemas import AccountCreated, AccountReconnected, Checkpoint
from skylight.kit.db import Database
from skylight.kit.errors import NotFound, Unprocessable, UpstreamUnavailable, field_error
from skylight.kit.time import utcnow

INSTAGRAM = ChannelType.INSTAGRAM
CODE_SENT = errors.CODE_SENT
ANOTHER_ROUND = errors.ANOTHER_ROUND
CONNECTED = "Instagram connected successfully. Account is syncing."
RESENT = "Verification code resent successfully."
_INVALID_CODE = "errors/invalid_checkpoint_solution"
SOLVE_TIMED_OUT = (
    "Unipile did not answer in time; the verification may still complete. Follow it with "
    "GET /channels/instagram/status before sending another code."
)


def _ended(attempt: ChannelAttempt) -> Unprocessable:
    if attempt.state == AttemptState.CONNECTED:
        return Unprocessable("This verification is already complete; Instagram is connected.")
    return Unprocessable(
        "This verification attempt has expired or ended. Connect again to get a new code.",
        errors=field_error("account_id", "The attempt is no longer open."),
    )


def _country(body: InstagramConnectIn) -> str | None:
    # Sent only when the user chose one: Unipile then places its proxy there. The seed's
    # default (SA) is what our API shows, never a proxy country nobody asked for.
    return body.country if "country" in body.model_fields_set else None


async def connect(
    db: Database,
    workspace_id: int,
    body: InstagramConnectIn,
    timezone: str,
    *,
    unipile: UnipileClient,
) -> ChannelOut | TwoFactorRequiredOut:
    again = await reconnectable(db, workspace_id, INSTAGRAM)
    if again is not None and (again.username or "").lower() == body.username.lower():
        reconnected = await _reconnect(
            db, workspace_id, again.account_id, body, timezone, unipile=unipile
        )
        if reconnected is not None:
            return reconnected
    stale = await ensure_can_connect(db, workspace_id, INSTAGRAM)
    for account_id in stale:
        await delete_upstream(unipile, account_id)
    started = utcnow()
    try:
        result = await unipile.connect_account(
            INSTAGRAM.provider,
            username=body.username,
            password=body.password,
            country=_country(body),
        )
    except UnipileTimeout:
        # It may have created the account meanwhile: nothing untracked stays at Unipile.
        await discard_untracked(db, INSTAGRAM, started, username=body.username, unipile=unipile)
        raise login_timed_out(INSTAGRAM) from None
    except UnipileError as exc:
        raise errors.login_refused(exc) or exc from None
    if isinstance(result, Checkpoint):
        await start_account(
            db,
            workspace_id,
            INSTAGRAM,
            result.account_id,
            unipile=unipile,
            qr_code=None,
            checkpoint_type=result.checkpoint.type,
            connected=False,
            username=body.username,
            deleted=stale,
        )
        return TwoFactorRequiredOut(
            account_id=result.account_id, checkpoint_type=result.checkpoint.type
        )
    channel = await start_account(
        db,
        workspace_id,
        INSTAGRAM,
        result.account_id,
        unipile=unipile,
        qr_code=None,
        checkpoint_type=None,
        connected=True,
        username=body.username,
        deleted=stale,
    )
    return ChannelOut.build(channel, timezone)


async def _reconnect(
    db: Database,
    workspace_id: int,
    account_id: str,
    body: InstagramConnectIn,
    timezone: str,
    *,
    unipile: UnipileClient,
) -> ChannelOut | TwoFactorRequiredOut | None:
    """Log the same account in again (its id and chats kept); None when Unipile no longer
    has it (then a new account is connected)."""
    try:
        result = await unipile.reconnect_account(
            account_id,
            INSTAGRAM.provider,
            username=body.username,
            password=body.password,
            **({"country": country} if (country := _country(body)) else {}),
        )
    except UnipileNotFound:
        return None
    except UnipileTimeout:
        raise UpstreamUnavailable(SOLVE_TIMED_OUT) from None
    except UnipileError as exc:
        raise errors.login_refused(exc) or exc from None
    checkpoint = result.checkpoint.type if isinstance(result, Checkpoint) else None
    channel, replaced = await reopen(
        db,
        workspace_id,
        INSTAGRAM,
        account_id,
        qr_code=None,
        checkpoint_type=checkpoint,
        connected=checkpoint is None,
    )
    await discard_upstream(unipile, sorted(replaced))
    if checkpoint is not None:
        return TwoFactorRequiredOut(account_id=account_id, checkpoint_type=checkpoint)
    return ChannelOut.build(channel, timezone)


async def _open_attempt(db: Database, workspace_id: int, account_id: str) -> str | None:
    """404 for an unknown (or another workspace's) account; 422 when it is no longer open.
    Returns the kind of checkpoint it waits on."""
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        attempt = await repo.attempt(INSTAGRAM, account_id)
        if attempt is None:
            raise NotFound("No Instagram connection attempt with this account_id.")
        # Committed even though we answer 422: the expiry (and CREATION_FAIL) is the truth.
        expire_if_due(await repo.get(INSTAGRAM), attempt, utcnow())
        if not attempt.pending:
            error = _ended(attempt)
        else:
            return attempt.checkpoint_type
    raise error


async def _mark(
    db: Database, workspace_id: int, account_id: str, state: str, checkpoint: str | None
) -> None:
    async with db.transaction() as session:
        repo = ChannelRepository(session, workspace_id)
        attempt = await repo.attempt(INSTAGRAM, account_id)
        if attempt is None:
            return
        attempt.state = state
        if checkpoint is not None:
            attempt.checkpoint_type = checkpoint
        channel = await repo.get(INSTAGRAM)
        if channel is None or channel.unipile_account_id != account_id:
            return
        now = utcnow()
        if state == AttemptState.CONNECTED:
            channel.connected_at = channel.connected_at or now
            # Unipile now runs the first sync; its account_status webhook moves us to OK. That
            # webhook may have overtaken this answer: never step back from a healthy state.
            if channel.status not in HEALTHY:
                channel.sync_status = SyncStatus.CONNECTING.value
            channel.last_synced_at = now
        elif state == AttemptState.EXPIRED:
            channel.sync_status = SyncStatus.CREATION_FAIL.value


async def solve(
    db: Database,
    workspace_id: int,
    account_id: str,
    code: str,
    timezone: str,
    *,
    unipile: UnipileClient,
) -> tuple[ChannelOut | TwoFactorRequiredOut, str]:
    waiting_on = await _open_attempt(db, workspace_id, account_id)
    if waiting_on in errors.NO_CODE:
        raise Unprocessable(
            errors.NO_CODE[waiting_on], errors=field_error("code", "No code is asked for.")
        )
    try:
        result = await unipile.solve_checkpoint(account_id, INSTAGRAM.provider, code)
    except UnipileCheckpointError as exc:
        if exc.type == _INVALID_CODE:
            raise Unprocessable(
                "The verification code is not valid. Check it and try again.",
                errors=field_error("code", "Invalid verification code."),
            ) from None
        await _mark(db, workspace_id, account_id, AttemptState.EXPIRED, None)
        raise errors.expired() from None
    except UnipileAuthenticationExpired:
        # The login intent is gone at Unipile: start again.
        await _mark(db, workspace_id, account_id, AttemptState.EXPIRED, None)
        raise errors.expired() from None
    except UnipileTimeout:
        # The account is ours (its attempt stays open): a webhook or a poll will finish it.
        raise UpstreamUnavailable(SOLVE_TIMED_OUT) from None
    except UnipileError as exc:
        raise errors.login_refused(exc) or exc from None
    if isinstance(result, Checkpoint):
        kind = result.checkpoint.type
        await _mark(db, workspace_id, account_id, AttemptState.PENDING, kind)
        return TwoFactorRequiredOut(account_id=account_id, checkpoint_type=kind), (
            errors.checkpoint_message(kind, first=False)
        )
    assert isinstance(result, AccountCreated | AccountReconnected)
    await _mark(db, workspace_id, account_id, AttemptState.CONNECTED, None)
    async with db.transaction() as session:
        channel = await ChannelRepository(session, workspace_id).get(INSTAGRAM)
        if channel is None:
            raise NotFound("Instagram is not connected.")
        return ChannelOut.build(channel, timezone), CONNECTED


async def resend(
    db: Database, workspace_id: int, account_id: str, *, unipile: UnipileClient
) -> str:
    await _open_attempt(db, workspace_id, account_id)
    # Unipile answers with an object of its own (not a Checkpoint): any 2xx is a success.
    await unipile.resend_checkpoint(account_id, INSTAGRAM.provider)
    return RESENT
