"""Route each Unipile webhook to the domain that owns it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from skylight.channels.webhooks import on_account_status
from skylight.inbound.repository import InboxRepository
from skylight.inbound.screening import without_nul
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.schemas import (
    AccountStatusWebhookPayload,
    MessagingWebhookPayload,
    parse_webhook_payload,
)
from skylight.kit.db import Database
from skylight.kit.errors import Unprocessable
from skylight.messages.webhooks import on_messaging


def parse(data: Any) -> MessagingWebhookPayload | AccountStatusWebhookPayload:
    if not isinstance(data, dict):
        raise Unprocessable("The webhook body must be a JSON object.")
    try:
        return parse_webhook_payload(without_nul(data))
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "body": [e["msg"]] for e in exc.errors()}
        raise Unprocessable("Not a Unipile webhook payload we understand.", errors=fields) from None


async def handle(
    db: Database,
    unipile: UnipileClient,
    payload: MessagingWebhookPayload | AccountStatusWebhookPayload,
    on_recovered: Callable[[str], Awaitable[None]],
) -> bool:
    """Apply one webhook. Returns False when it was a redelivery (already applied)."""
    if isinstance(payload, AccountStatusWebhookPayload):
        # Applying a status is idempotent, so no inbox entry is needed. A channel back to OK
        # may have missed messages meanwhile: on_recovered starts a reconciliation.
        if await on_account_status(db, unipile, payload.account_status):
            await on_recovered(payload.account_status.account_id)
        return True
    key = f"{payload.event}:{payload.message_id}"
    async with db.transaction() as session:
        if not await InboxRepository(session).claim(key, payload.account_id, payload.event):
            return False
        await on_messaging(session, payload)
    return True
