"""Make sure Unipile sends our two webhooks (messaging, account_status) to this deployment."""

from __future__ import annotations

import asyncio
import logging

from skylight.inbound.secret import HEADER
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError
from skylight.integrations.unipile.schemas import Webhook

logger = logging.getLogger("skylight.inbound")

SOURCES = {
    "messaging": ["message_received", "message_read", "message_delivered"],
    "account_status": None,
}


def _ours(hook: Webhook, url: str, source: str) -> bool:
    return hook.request_url == url and (hook.source == source or hook.name == f"skylight-{source}")


def _current_secret(hook: Webhook, secret: str) -> bool:
    return any(h.key == HEADER and h.value == secret for h in hook.headers)


async def register(unipile: UnipileClient, url: str, secret: str) -> list[str]:
    """Idempotent: keeps a matching webhook, replaces one with an old secret, creates missing
    ones. Returns the webhook ids in use."""
    existing = [hook async for hook in _all_webhooks(unipile)]
    ids: list[str] = []
    for source, events in SOURCES.items():
        keep = None
        for hook in existing:
            if not _ours(hook, url, source):
                continue
            if keep is None and _current_secret(hook, secret):
                keep = hook
            else:
                await unipile.delete_webhook(hook.id)
        if keep is not None:
            ids.append(keep.id)
            continue
        created = await unipile.create_webhook(
            url,
            source,
            name=f"skylight-{source}",
            # Unipile sends no JSON content type unless asked; we parse either way.
            headers={HEADER: secret, "Content-Type": "application/json"},
            events=events,
        )
        ids.append(created.webhook_id)
    return ids


async def _all_webhooks(unipile: UnipileClient):  # type: ignore[no-untyped-def]
    cursor: str | None = None
    while True:
        page = await unipile.list_webhooks(cursor=cursor)
        for hook in page.items:
            yield hook
        if not page.cursor:
            return
        cursor = page.cursor


async def register_until_done(
    unipile: UnipileClient, url: str, secret: str, *, retry_seconds: float = 5.0
) -> None:
    """Run in the background at start-up: Unipile being down must not stop the server."""
    while True:
        try:
            ids = await register(unipile, url, secret)
        except UnipileError as exc:
            logger.warning("registering Unipile webhooks failed, retrying: %s", exc)
            await asyncio.sleep(retry_seconds)
        else:
            logger.info("Unipile webhooks registered for %s: %s", url, ", ".join(ids))
            return
