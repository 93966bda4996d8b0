"""Every helper acts only on the caller's own accounts: another workspace's id is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from skylight.apikeys.service import Caller
from skylight.channels.repository import ChannelRepository
from skylight.channels.types import ChannelType
from skylight.integrations.unipile.attachments import Upload
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError, UnipileNotFound
from skylight.integrations.unipile.simulator.config import Faults
from skylight.integrations.unipile.simulator.control import SimulatorControl
from skylight.kit.db import Database
from skylight.kit.errors import Conflict, NotFound, Unprocessable
from skylight.messages import receipts
from skylight.messages.repository import MessageRepository
from skylight.messages.types import Direction
from skylight.sandbox.schemas import FaultsIn, InboundIn, InboundOut, SentOut
from skylight.sandbox.tenancy import tenant_of


@dataclass(frozen=True)
class SandboxContext:
    db: Database
    control: SimulatorControl
    caller: Caller
    unipile: UnipileClient


async def _owned_account(ctx: SandboxContext, account_id: str) -> None:
    async with ctx.db.transaction() as session:
        if not await ChannelRepository(session, ctx.caller.workspace_id).owns_account(account_id):
            raise NotFound("No account with this id in this workspace.")


def _refused(exc: UnipileError) -> Exception:
    """The simulator refusing a control call is the caller's mistake, not an upstream failure."""
    if isinstance(exc, UnipileNotFound):
        return NotFound("This account no longer exists (replaced or disconnected).")
    if exc.status == 409:
        return Conflict("No QR code is waiting on this account (scanned, failed or expired).")
    return exc


async def scan(ctx: SandboxContext, account_id: str, username: str | None) -> None:
    await _owned_account(ctx, account_id)
    try:
        await ctx.control.scan(account_id, username)
    except UnipileError as exc:
        raise _refused(exc) from None


async def fail(ctx: SandboxContext, account_id: str) -> None:
    await _owned_account(ctx, account_id)
    try:
        await ctx.control.fail(account_id)
    except UnipileError as exc:
        raise _refused(exc) from None


async def set_status(ctx: SandboxContext, account_id: str, status: str) -> None:
    await _owned_account(ctx, account_id)
    try:
        await ctx.control.set_status(account_id, status)  # type: ignore[arg-type]
    except UnipileError as exc:
        raise _refused(exc) from None


async def inbound(ctx: SandboxContext, body: InboundIn, file: Upload | None = None) -> InboundOut:
    if body.text is None and file is None:
        raise Unprocessable("Give a text, a file or both.", errors={"text": ["Field required"]})
    async with ctx.db.transaction() as session:
        channel = await ChannelRepository(session, ctx.caller.workspace_id).get(body.channel)
        if channel is None or not channel.is_connected or channel.unipile_account_id is None:
            raise Unprocessable(f"No {body.channel.value} channel connected.")
        account_id = channel.unipile_account_id
    sender = body.sender
    if body.channel is ChannelType.INSTAGRAM or body.channel is ChannelType.TELEGRAM:
        sender = sender.removeprefix("@")
    try:
        result = await ctx.control.inbound(
            account_id, sender, body.text, name=body.name, files=[file] if file else []
        )
    except UnipileError as exc:
        if exc.status == 415 or exc.type == "errors/content_too_large":
            # Unipile would not take this file (an executable, too large): our input.
            reason = exc.detail or exc.title or "Unipile does not take this file."
            raise Unprocessable(reason, errors={"file": [reason]}) from None
        if exc.status != 400:
            raise
        # The simulator refused the sender (e.g. not a phone number for WhatsApp): our input.
        reason = exc.detail or exc.title or "Not a valid sender for this channel."
        raise Unprocessable(reason, errors={"from": [reason]}) from None
    return InboundOut(unipile_message_id=result.message_id, unipile_chat_id=result.chat_id)


async def sent(ctx: SandboxContext) -> list[SentOut]:
    async with ctx.db.transaction() as session:
        accounts = await ChannelRepository(session, ctx.caller.workspace_id).account_ids()
    if not accounts:
        return []
    return [SentOut(**item.model_dump()) for item in await ctx.control.sent(accounts)]


async def set_faults(ctx: SandboxContext, body: FaultsIn) -> FaultsIn:
    """This workspace's faults only: its calls to Unipile and its accounts' webhooks."""
    tenant = tenant_of(ctx.caller.workspace_id)
    faults = await ctx.control.set_faults(Faults(**body.model_dump()), tenant=tenant)
    return FaultsIn(**faults.model_dump())


async def receipt(
    ctx: SandboxContext, message_id: int, event: Literal["delivered", "read"]
) -> None:
    async with ctx.db.transaction() as session:
        message = await MessageRepository(session, ctx.caller.workspace_id).get(message_id)
        if message is None:
            raise NotFound(f"Message {message_id} not found.")
        if message.direction != Direction.OUTBOUND or message.unipile_message_id is None:
            raise Unprocessable("Only an outbound message Unipile accepted can get receipts.")
        unipile_id = message.unipile_message_id
        channel = await ChannelRepository(session, ctx.caller.workspace_id).get(message.channel)
        account_id = channel.unipile_account_id if channel else None
    await ctx.control.receipt(unipile_id, event)
    if event == "delivered" and account_id is not None:
        # Unipile has no delivered webhook: the flag on the message object is read back, as
        # reconciliation does, instead of waiting for its next pass.
        await receipts.refresh(ctx.db, ctx.unipile, account_id, unipile_id)
