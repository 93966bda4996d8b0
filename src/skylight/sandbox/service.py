"""Every helper acts only on the caller's own accounts: another workspace's id is a 404."""

from __future__ import annotations

from typing import Literal

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


async def _owned_account(db: Database, workspace_id: int, account_id: str) -> None:
    async with db.transaction() as session:
        if not await ChannelRepository(session, workspace_id).owns_account(account_id):
            raise NotFound("No account with this id in this workspace.")


def _refused(exc: UnipileError) -> Exception:
    """The simulator refusing a control call is the caller's mistake, not an upstream failure."""
    if isinstance(exc, UnipileNotFound):
        return NotFound("This account no longer exists (replaced or disconnected).")
    if exc.status == 409:
        return Conflict("No QR code is waiting on this account (scanned, failed or expired).")
    return exc


async def scan(
    db: Database,
    workspace_id: int,
    account_id: str,
    username: str | None,
    *,
    control: SimulatorControl,
) -> None:
    await _owned_account(db, workspace_id, account_id)
    try:
        await control.scan(account_id, username)
    except UnipileError as exc:
        raise _refused(exc) from None


async def fail(
    db: Database, workspace_id: int, account_id: str, *, control: SimulatorControl
) -> None:
    await _owned_account(db, workspace_id, account_id)
    try:
        await control.fail(account_id)
    except UnipileError as exc:
        raise _refused(exc) from None


async def set_status(
    db: Database, workspace_id: int, account_id: str, status: str, *, control: SimulatorControl
) -> None:
    await _owned_account(db, workspace_id, account_id)
    try:
        await control.set_status(account_id, status)  # type: ignore[arg-type]
    except UnipileError as exc:
        raise _refused(exc) from None


async def inbound(
    db: Database,
    workspace_id: int,
    body: InboundIn,
    file: Upload | None = None,
    *,
    control: SimulatorControl,
) -> InboundOut:
    if body.text is None and file is None:
        raise Unprocessable("Give a text, a file or both.", errors={"text": ["Field required"]})
    async with db.transaction() as session:
        channel = await ChannelRepository(session, workspace_id).get(body.channel)
        if channel is None or not channel.is_connected or channel.unipile_account_id is None:
            raise Unprocessable(f"No {body.channel.value} channel connected.")
        account_id = channel.unipile_account_id
    sender = body.sender
    if body.channel is ChannelType.INSTAGRAM or body.channel is ChannelType.TELEGRAM:
        sender = sender.removeprefix("@")
    try:
        result = await control.inbound(
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


async def sent(db: Database, workspace_id: int, *, control: SimulatorControl) -> list[SentOut]:
    async with db.transaction() as session:
        accounts = await ChannelRepository(session, workspace_id).account_ids()
    if not accounts:
        return []
    return [SentOut(**item.model_dump()) for item in await control.sent(accounts)]


async def set_faults(workspace_id: int, body: FaultsIn, *, control: SimulatorControl) -> FaultsIn:
    """This workspace's faults only: its calls to Unipile and its accounts' webhooks. No unit
    of work: nothing of ours is read or written, the faults live in the simulator."""
    tenant = tenant_of(workspace_id)
    faults = await control.set_faults(Faults(**body.model_dump()), tenant=tenant)
    return FaultsIn(**faults.model_dump())


async def receipt(
    db: Database,
    workspace_id: int,
    message_id: int,
    event: Literal["delivered", "read"],
    *,
    control: SimulatorControl,
    unipile: UnipileClient,
) -> None:
    async with db.transaction() as session:
        message = await MessageRepository(session, workspace_id).get(message_id)
        if message is None:
            raise NotFound(f"Message {message_id} not found.")
        if message.direction != Direction.OUTBOUND or message.unipile_message_id is None:
            raise Unprocessable("Only an outbound message Unipile accepted can get receipts.")
        unipile_id = message.unipile_message_id
        channel = await ChannelRepository(session, workspace_id).get(message.channel)
        account_id = channel.unipile_account_id if channel else None
    await control.receipt(unipile_id, event)
    if event == "delivered" and account_id is not None:
        # Unipile has no delivered webhook: the flag on the message object is read back, as
        # reconciliation does, instead of waiting for its next pass.
        await receipts.refresh(db, unipile, account_id, unipile_id)
