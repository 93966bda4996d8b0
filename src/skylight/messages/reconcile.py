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
from skylight.kit.time import utcnow
from skylight.messages import receipts, transitions
from skylight.messages.ingest import Incoming, apply_receipt, ingest
from skylight.messages.repository import MessageRepository
from skylight.messages.types import NEVER_CONFIRMED

logger = logging.getLogger("skylight.reconcile")
# Overlap with the previous run: clocks differ and webhooks may be in flight.
OVERLAP = timedelta(minutes=5)
# A send Unipile never confirmed, and that a pass over its account did not find, is failed
# once it is this old (younger ones may still be on their way).
UNCONFIRMED_AFTER = timedelta(minutes=10)


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
        # Only now, for this account: Unipile was asked and had none of them.
        report.expired += await _expire_unconfirmed(db, workspace_id, channel, started)
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


async def _expire_unconfirmed(
    db: Database, workspace_id: int, channel: str, checked_at: datetime
) -> int:
    """Fail the channel's sends that are still unconfirmed although the pass that began at
    `checked_at` found no trace of them at Unipile (stored long enough before it to show). A
    copy that turns up later still revives them (transitions)."""
    async with db.transaction() as session:
        stale = await MessageRepository(session, workspace_id).unconfirmed(
            channel, checked_at - UNCONFIRMED_AFTER
        )
    expired = 0
    for message_id in stale:
        # One message per transaction: the workspace lock is held briefly.
        async with db.transaction() as session:
            moved = await transitions.failed(
                session, workspace_id, message_id, NEVER_CONFIRMED, utcnow()
            )
        expired += moved is not None
    return expired
