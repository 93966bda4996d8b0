"""Make sure Unipile sends our webhooks to this deployment, one webhook per event.

Unipile's messaging events are ``message_received``, ``message_read`` and ``message_reaction``
(there is no ``message_delivered``: delivery shows on the message object, see
messages.receipts). We register ``message_received`` and ``message_read`` each on its own, and
``account_status``. A 4xx from Unipile is a configuration error (a wrong key, a refused URL):
it is logged once, shown by /readyz, and not retried until the next start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from skylight.inbound.secret import HEADER
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import (
    UnipileError,
    UnipileNotFound,
    UnipilePermanentError,
)
from skylight.integrations.unipile.schemas import Webhook
from skylight.kit.readiness import Reports

logger = logging.getLogger("skylight.inbound")

REPORT = "unipile_webhooks"
PREFIX = "skylight-"


@dataclass(frozen=True)
class Wanted:
    name: str
    source: str
    events: list[str] | None


WANTED = (
    Wanted(f"{PREFIX}message_received", "messaging", ["message_received"]),
    Wanted(f"{PREFIX}message_read", "messaging", ["message_read"]),
    Wanted(f"{PREFIX}account_status", "account_status", None),
)


class RegistrationRefused(Exception):
    """Unipile refused one or more of our webhooks with a 4xx: fix the configuration."""


def _current(hook: Webhook, wanted: Wanted, secret: str) -> bool:
    has_secret = any(h.key == HEADER and h.value == secret for h in hook.headers)
    events_match = wanted.events is None or sorted(hook.events or []) == sorted(wanted.events)
    return has_secret and events_match


async def _all_webhooks(unipile: UnipileClient) -> AsyncIterator[Webhook]:
    cursor: str | None = None
    while True:
        page = await unipile.list_webhooks(cursor=cursor)
        for hook in page.items:
            yield hook
        if not page.cursor:
            return
        cursor = page.cursor


async def _delete(unipile: UnipileClient, hook: Webhook) -> None:
    with contextlib.suppress(UnipileNotFound):  # gone already: what we wanted
        await unipile.delete_webhook(hook.id)


async def register(unipile: UnipileClient, url: str, secret: str) -> list[str]:
    """Idempotent: keeps a matching webhook, replaces one with an old secret or other events,
    deletes our older ones (any ``skylight-`` webhook at this URL we no longer want), creates
    missing ones. Returns the webhook ids in use.

    Raises RegistrationRefused after trying every webhook when Unipile refused some with a 4xx;
    a transient failure (UnipileError) stops at once and the whole call may be repeated."""
    ours = [
        hook
        async for hook in _all_webhooks(unipile)
        if hook.request_url == url and (hook.name or "").startswith(PREFIX)
    ]
    names = {wanted.name for wanted in WANTED}
    for hook in ours:
        if hook.name not in names:
            await _delete(unipile, hook)
    ids: list[str] = []
    refused: list[str] = []
    for wanted in WANTED:
        keep = None
        for hook in (h for h in ours if h.name == wanted.name):
            if keep is None and _current(hook, wanted, secret):
                keep = hook
            else:
                await _delete(unipile, hook)
        if keep is not None:
            ids.append(keep.id)
            continue
        try:
            created = await unipile.create_webhook(
                url,
                wanted.source,
                name=wanted.name,
                # Unipile sends no JSON content type unless asked; we parse either way.
                headers={HEADER: secret, "Content-Type": "application/json"},
                events=wanted.events,
            )
        except UnipilePermanentError as exc:
            refused.append(f"{wanted.name}: {exc.message}")
            continue
        ids.append(created.webhook_id)
    if refused:
        raise RegistrationRefused("; ".join(refused))
    return ids


async def attempt(unipile: UnipileClient, url: str, secret: str, reports: Reports) -> bool:
    """One registration, its outcome reported to /readyz. False when it should be retried
    (a transient failure); a refusal is final until the next start."""
    try:
        ids = await register(unipile, url, secret)
    except (RegistrationRefused, UnipilePermanentError) as exc:
        # A 4xx (listing refused, e.g. our key; or a webhook refused): fix the configuration.
        reason = exc.message if isinstance(exc, UnipileError) else str(exc)
        reports.set(REPORT, "refused", f"Unipile refused our webhooks: {reason}")
        logger.error(
            "Unipile refused our webhook registration, so no inbound message or account status "
            "will arrive; check SKYLIGHT_UNIPILE_API_KEY and SKYLIGHT_PUBLIC_URL (%s), then "
            "restart. Not retried: %s",
            url,
            reason,
        )
        return True
    except UnipileError as exc:
        reports.set(REPORT, "registering")
        logger.warning("registering Unipile webhooks failed (will retry): %s", exc)
        return False
    reports.set(REPORT, "ok")
    logger.info("Unipile webhooks registered for %s: %s", url, ", ".join(ids))
    return True


async def retry_until_done(
    unipile: UnipileClient,
    url: str,
    secret: str,
    reports: Reports,
    *,
    retry_seconds: float = 5.0,
    max_retry_seconds: float = 300.0,
) -> None:
    """In the background: Unipile being down must not stop the server. Backs off to
    ``max_retry_seconds`` between attempts."""
    delay = retry_seconds
    while True:
        await asyncio.sleep(delay)
        if await attempt(unipile, url, secret, reports):
            return
        delay = min(delay * 2, max_retry_seconds)
