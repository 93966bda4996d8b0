"""Catching up from Unipile's chat and message lists after a gap (downtime, dropped webhooks,
a channel back to OK), so nothing that reached Unipile is missing and nothing is doubled.

Runs on start-up, when a channel returns to OK, and periodically. It asks Unipile only for the
chats with activity since the last successful pass (``after``). Every message goes through the
same idempotent ingestion as webhooks; receipts come from the message objects' flags (receipts)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from skylight.channels.repository import AccountLookup
from skylight.integrations.unipile.attachments import read_attachments
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError
from skylight.integrations.unipile.schemas import Chat
from skylight.integrations.unipile.schemas import Message as UnipileMessage
from skylight.kit.db import Database
from skylight.kit.locks import lock_workspace_writes
from skylight.kit.time import utcnow
from skylight.messages import receipts
from skylight.messages.events import message_event
from skylight.messages.ingest import Incoming, apply_receipt, ingest
from skylight.messages.repository import MessageRepository, PendingMessages
from skylight.messages.types import MessageStatus

logger = logging.getLogger("skylight.reconcile")
# Overlap with the previous run: clocks differ and webhooks may be in flight.
OVERLAP = timedelta(minutes=5)
# A send Unipile never confirmed, and that no list shows, is failed after this long.
UNCONFIRMED_AFTER = timedelta(minutes=10)
NEVER_CONFIRMED = "Unipile never confirmed this message; it was not sent."


@dataclass
class Report:
    channels: int = 0
    chats: int = 0  # chats Unipile listed (only those active since the last pass)
    stored: int = 0
    receipts: int = 0
    expired: int = 0


async def reconcile_all(
    db: Database, unipile: UnipileClient, only_accounts: set[str] | None = None
) -> Report:
    """Every healthy channel, or only these accounts (a channel just back to OK)."""
    report = Report()
    async with db.transaction() as session:
        targets = [
            (
                c.id,
                c.workspace_id,
                c.type.value,
                c.unipile_account_id,
                c.reconciled_at or c.connected_at,
            )
            for c in await AccountLookup(session).healthy()
            if only_accounts is None or c.unipile_account_id in only_accounts
        ]
    for channel_id, workspace_id, channel, account_id, since in targets:
        if account_id is None:
            continue
        started = utcnow()
        try:
            await _reconcile_account(db, unipile, account_id, since, report)
            report.receipts += await receipts.sweep(db, unipile, workspace_id, account_id, channel)
        except UnipileError as exc:
            logger.warning("reconciling %s stopped: %s", account_id, exc)
            continue
        async with db.transaction() as session:
            await AccountLookup(session).mark_reconciled(channel_id, started)
        report.channels += 1
    await _expire_unconfirmed(db, report)
    return report


async def _reconcile_account(
    db: Database, unipile: UnipileClient, account_id: str, since: datetime | None, report: Report
) -> None:
    after = (since - OVERLAP) if since else None
    # Only chats with activity since the last pass: Unipile filters them (``after``).
    async for chat in unipile.iter_chats(account_id, after=after):
        report.chats += 1
        async for message in unipile.iter_chat_messages(chat.id):
            if after and message.timestamp < after:
                break  # newest first: the rest is older still
            await _apply(db, account_id, chat, message, report)


async def _apply(
    db: Database, account_id: str, chat: Chat, message: UnipileMessage, report: Report
) -> None:
    from_account = bool(message.is_sender)
    incoming = Incoming(
        account_id=account_id,
        chat_id=chat.id,
        message_id=message.id,
        text=message.text,
        at=message.timestamp,
        from_account=from_account,
        counterpart_id=chat.attendee_provider_id if from_account else message.sender_id,
        counterpart_name=chat.name,
        attachments=read_attachments(message.attachments),
    )
    async with db.transaction() as session:
        if await ingest(session, incoming):
            report.stored += 1
        receipt = receipts.receipt_of(message) if from_account else None
        if receipt and await apply_receipt(session, account_id, message.id, receipt, utcnow()):
            report.receipts += 1


async def _expire_unconfirmed(db: Database, report: Report) -> None:
    async with db.transaction() as session:
        stale = [
            (m.id, m.workspace_id)
            for m in await PendingMessages(session).older_than(utcnow() - UNCONFIRMED_AFTER)
        ]
    for message_id, workspace_id in stale:
        # One message per transaction, the workspace lock first (the order every writer uses).
        async with db.transaction() as session:
            await lock_workspace_writes(session, workspace_id)
            message = await MessageRepository(session, workspace_id).get(message_id)
            if message is None or message.status != MessageStatus.PENDING:
                continue
            message.status = MessageStatus.FAILED
            message.error = NEVER_CONFIRMED
            message.failed_at = utcnow()
            await message_event(session, message, "message.failed")
            report.expired += 1
