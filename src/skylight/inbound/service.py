"""Route each Unipile webhook to the domain that owns it.

Messaging webhooks are accepted and queued: the request stores the body in the inbox under
Unipile's ids (a redelivery is a no-op) and returns; `apply_queued` applies queued entries in
batches, one transaction each, marking them applied in that same transaction (so each is
applied exactly once, and a crash in between leaves it queued, never lost). Account status
webhooks are applied at once (rare, and idempotent)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.repository import AccountLookup
from skylight.channels.webhooks import on_account_status
from skylight.inbound.repository import InboxRepository
from skylight.inbound.screening import without_nul
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.schemas import (
    AccountStatusWebhookPayload,
    MessagingWebhookPayload,
    parse_webhook_payload,
)
from skylight.kit.db import Database, is_unavailable
from skylight.kit.errors import Unprocessable
from skylight.kit.locks import lock_workspace_writes
from skylight.kit.time import utcnow
from skylight.messages.webhooks import on_messaging_many

logger = logging.getLogger("skylight.inbound")
_NUL = "\\u0000"  # how a NUL appears in JSON text


def parse(
    data: Any, *, nul_free: bool = False
) -> MessagingWebhookPayload | AccountStatusWebhookPayload:
    """`nul_free`: the caller knows no string holds a NUL (nothing to remove)."""
    if not isinstance(data, dict):
        raise Unprocessable("The webhook body must be a JSON object.")
    try:
        return parse_webhook_payload(data if nul_free else without_nul(data))
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "body": [e["msg"]] for e in exc.errors()}
        raise Unprocessable("Not a Unipile webhook payload we understand.", errors=fields) from None


async def apply_status(
    db: Database,
    unipile: UnipileClient,
    payload: AccountStatusWebhookPayload,
    on_recovered: Callable[[str], Awaitable[None]],
) -> None:
    """Applying a status is idempotent, so no inbox entry is needed. A channel back to OK may
    have missed messages meanwhile: on_recovered starts a reconciliation."""
    if await on_account_status(db, unipile, payload.account_status):
        await on_recovered(payload.account_status.account_id)


async def accept(db: Database, payload: MessagingWebhookPayload, body: str) -> bool:
    """Queue a messaging webhook (`body`: its JSON, as received). False when it was a
    redelivery (queued or applied already)."""
    key = f"{payload.event}:{payload.message_id}"
    async with db.transaction() as session:
        return await InboxRepository(session).enqueue(key, payload.account_id, payload.event, body)


async def apply_queued(db: Database, *, limit: int) -> int:
    """Apply the oldest queued webhooks, up to `limit`, in one transaction; how many were
    taken. Should one of them fail, the batch is applied again one entry at a time, and an
    entry that fails on its own is set aside (logged, kept with its body) instead of holding
    up the queue. A database that is away fails the whole call: it is tried again later."""
    try:
        async with db.transaction() as session:
            inbox = InboxRepository(session)
            entries = await inbox.queued(limit)
            if entries:
                await _apply(session, entries)
                await inbox.applied([entry_id for entry_id, _ in entries], utcnow())
            return len(entries)
    except Exception as exc:
        if is_unavailable(exc):
            raise
        logger.warning("applying a batch of Unipile webhooks failed, one by one now: %r", exc)
    return await _apply_one_by_one(db, limit)


async def _apply_one_by_one(db: Database, limit: int) -> int:
    taken = 0
    while taken < limit:
        try:
            async with db.transaction() as session:
                inbox = InboxRepository(session)
                entries = await inbox.queued(1)
                if not entries:
                    return taken
                await _apply(session, entries)
                await inbox.applied([entries[0][0]], utcnow())
        except Exception as exc:
            if is_unavailable(exc):
                raise
            await _set_aside(db, exc)
        taken += 1
    return taken


async def _set_aside(db: Database, exc: Exception) -> None:
    async with db.transaction() as session:
        inbox = InboxRepository(session)
        entries = await inbox.queued(1)
        if entries:
            logger.error(
                "Unipile webhook (inbox entry %s) could not be applied and is set aside; its "
                "body stays in the inbox: %r",
                entries[0][0],
                exc,
            )
            await inbox.set_aside(entries[0][0], utcnow())


async def _apply(session: AsyncSession, entries: Sequence[tuple[int, str]]) -> None:
    payloads = []
    for _, body in entries:
        payload = parse(json.loads(body), nul_free=_NUL not in body)
        assert isinstance(payload, MessagingWebhookPayload)
        payloads.append(payload)
    # Every workspace's lock at the start, in one order (ids ascending), as any transaction
    # that takes several does: two batches never wait for each other the other way round.
    lookup = AccountLookup(session)
    workspaces = set()
    for account_id in {p.account_id for p in payloads}:
        channel = await lookup.channel(account_id)
        if channel is not None:
            workspaces.add(channel.workspace_id)
    for workspace_id in sorted(workspaces):
        await lock_workspace_writes(session, workspace_id)
    await on_messaging_many(session, payloads)
