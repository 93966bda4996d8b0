"""Delivered and read receipts read from Unipile's message objects.

Unipile has no "delivered" webhook: delivery shows on the message object (``delivered``,
``seen``), and only a read has its own webhook (``message_read``). So reconciliation reads the
flags of the messages it lists, and re-reads the recent outbound messages still waiting for a
receipt. Statuses only move forward (ingest.advance)."""

from __future__ import annotations

from datetime import timedelta

from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileNotFound
from skylight.integrations.unipile.schemas import Message as UnipileMessage
from skylight.kit.db import Database
from skylight.kit.time import utcnow
from skylight.messages.ingest import apply_receipt
from skylight.messages.repository import MessageRepository

# Outbound messages older than this are not re-read for a receipt any more.
RECEIPT_WINDOW = timedelta(days=2)
# At most this many re-reads per channel and pass (newest first): bounded calls to Unipile.
SWEEP_LIMIT = 100


def receipt_of(message: UnipileMessage) -> str | None:
    """What the message object's flags say: read, delivered, or nothing yet."""
    if message.seen:
        return "read"
    if message.delivered:
        return "delivered"
    return None


async def refresh(db: Database, unipile: UnipileClient, account_id: str, unipile_id: str) -> bool:
    """Read one outbound message's flags at Unipile and apply them; True when it moved."""
    try:
        message = await unipile.get_message(unipile_id)
    except UnipileNotFound:
        return False
    receipt = receipt_of(message)
    if receipt is None:
        return False
    async with db.transaction() as session:
        # Stamped when we learn it: the object does not say when it was delivered.
        return await apply_receipt(session, account_id, unipile_id, receipt, utcnow())


async def sweep(
    db: Database, unipile: UnipileClient, workspace_id: int, account_id: str, channel: str
) -> int:
    """Re-read the channel's recent outbound messages that are sent or delivered (a read may
    still come) and apply what their flags say. Returns how many moved."""
    async with db.transaction() as session:
        waiting = await MessageRepository(session, workspace_id).awaiting_receipt(
            channel, utcnow() - RECEIPT_WINDOW, SWEEP_LIMIT
        )
    moved = 0
    for unipile_id in waiting:
        if await refresh(db, unipile, account_id, unipile_id):
            moved += 1
    return moved
