from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from skylight.inbound.registration import attempt, retry_until_done
from skylight.inbound.secret import webhook_secret
from skylight.integrations.unipile.client import UnipileClient
from skylight.kit.readiness import Reports
from skylight.kit.settings import Settings

logger = logging.getLogger("skylight.inbound")
ENDPOINT = "/webhooks/unipile"


@asynccontextmanager
async def inbound_webhooks(
    settings: Settings, unipile: UnipileClient, reports: Reports
) -> AsyncIterator[None]:
    """Register our webhooks with Unipile: at once if it answers, else in the background.
    The outcome shows in /readyz (``unipile_webhooks``)."""
    url = settings.resolved_public_url + ENDPOINT
    secret = webhook_secret(settings)
    task: asyncio.Task[None] | None = None
    if not await attempt(unipile, url, secret, reports):
        task = asyncio.create_task(retry_until_done(unipile, url, secret, reports))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
