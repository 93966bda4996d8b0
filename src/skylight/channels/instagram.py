"""Instagram: credentials pass straight through to Unipile (never stored, never logged), then
zero or more verification rounds."""

from __future__ import annotations

from skylight.channels.models import AttemptState, ChannelAttempt
from skylight.channels.schemas import ChannelOut, InstagramConnectIn, TwoFactorRequiredOut
from skylight.channels.service import (
    ChannelContext,
    delete_upstream,
    ensure_can_connect,
    start_account,
)
from skylight.channels.state import expire_if_due
from skylight.channels.types import HEALTHY, SyncStatus
from skylight.integrations.unipile.errors import UnipileCheckpointError, UnipileUnauthorized
from skylight.integrations.unipile.schemas import Checkpoint
from skylight.kit.errors import NotFound, Unprocessable, field_error
from skylight.kit.time import utcnow

CODE_SENT = "A verification code has been sent. Submit it to POST /channels/instagram/2fa."
ANOTHER_ROUND = "Additional verification required. Submit your code again."
CONNECTED = "Instagram connected successfully. Account is syncing."
RESENT = "Verification code resent successfully."
_INVALID_CODE = "errors/invalid_checkpoint_solution"


def _ended(attempt: ChannelAttempt) -> Unprocessable:
    if attempt.state == AttemptState.CONNECTED:
        return Unprocessable("This verification is already complete; Instagram is connected.")
    return Unprocessable(
        "This verification attempt has expired or ended. Connect again to get a new code.",
        errors=field_error("account_id", "The attempt is no longer open."),
    )


async def connect(
    ctx: ChannelContext, body: InstagramConnectIn
) -> ChannelOut | TwoFactorRequiredOut:
    stale = await ensure_can_connect(ctx)
    for account_id in stale:
        await delete_upstream(ctx.unipile, account_id)
    try:
        result = await ctx.unipile.connect_account(
            ctx.type.provider, username=body.username, password=body.password, country=body.country
        )
    except UnipileUnauthorized:
        raise Unprocessable(
            "Instagram did not accept this username and password.",
            errors=field_error("password", "The username or password is incorrect."),
        ) from None
    if isinstance(result, Checkpoint):
        await start_account(
            ctx,
            result.account_id,
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
        ctx,
        result.account_id,
        qr_code=None,
        checkpoint_type=None,
        connected=True,
        username=body.username,
        deleted=stale,
    )
    return ctx.out(channel)


async def _open_attempt(ctx: ChannelContext, account_id: str) -> None:
    """404 for an unknown (or another workspace's) account; 422 when it is no longer open."""
    async with ctx.db.transaction() as session:
        repo = ctx.repo(session)
        attempt = await repo.attempt(ctx.type, account_id)
        if attempt is None:
            raise NotFound("No Instagram connection attempt with this account_id.")
        # Committed even though we answer 422: the expiry (and CREATION_FAIL) is the truth.
        expire_if_due(await repo.get(ctx.type), attempt, utcnow())
        if not attempt.pending:
            error = _ended(attempt)
        else:
            return
    raise error


async def _mark(ctx: ChannelContext, account_id: str, state: str, checkpoint: str | None) -> None:
    async with ctx.db.transaction() as session:
        repo = ctx.repo(session)
        attempt = await repo.attempt(ctx.type, account_id)
        if attempt is None:
            return
        attempt.state = state
        if checkpoint is not None:
            attempt.checkpoint_type = checkpoint
        channel = await repo.get(ctx.type)
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
    ctx: ChannelContext, account_id: str, code: str
) -> tuple[ChannelOut | TwoFactorRequiredOut, str]:
    await _open_attempt(ctx, account_id)
    try:
        result = await ctx.unipile.solve_checkpoint(account_id, ctx.type.provider, code)
    except UnipileCheckpointError as exc:
        if exc.type == _INVALID_CODE:
            raise Unprocessable(
                "The verification code is not valid. Check it and try again.",
                errors=field_error("code", "Invalid verification code."),
            ) from None
        await _mark(ctx, account_id, AttemptState.EXPIRED, None)
        raise Unprocessable(
            "This verification attempt has expired. Connect again to get a new code.",
            errors=field_error("account_id", "The attempt has expired."),
        ) from None
    if isinstance(result, Checkpoint):
        await _mark(ctx, account_id, AttemptState.PENDING, result.checkpoint.type)
        return TwoFactorRequiredOut(
            account_id=account_id, checkpoint_type=result.checkpoint.type
        ), ANOTHER_ROUND
    await _mark(ctx, account_id, AttemptState.CONNECTED, None)
    async with ctx.db.transaction() as session:
        channel = await ctx.repo(session).get(ctx.type)
        if channel is None:
            raise NotFound("Instagram is not connected.")
        return ctx.out(channel), CONNECTED


async def resend(ctx: ChannelContext, account_id: str) -> str:
    await _open_attempt(ctx, account_id)
    await ctx.unipile.resend_checkpoint(account_id, ctx.type.provider)
    return RESENT
