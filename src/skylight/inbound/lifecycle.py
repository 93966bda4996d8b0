from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from skylight.inbound.registration import register, register_until_done
from skylight.inbound.secret import webhook_secret
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError
from skylight.kit.settings import Settings

logger = logging.getLogger("skylight.inbound")
ENDPOINT = "/webhooks/unipile"


@asynccontextmanager
async def inbound_webhooks(settings: Settings, unipile: UnipileClient) -> AsyncIterator[None]:
    """Register our webhooks with Unipile: at once if it answers, else in the background."""
    url = settings.resolved_public_url + ENDPOINT
    secret = webhook_secret(settings)
    task: asyncio.Task[None] | None = None
    try:
        await register(unipile, url, secret)
    except UnipileError as exc:
        logger.warning("Unipile webhooks not registered yet (%s); retrying in the background", exc)
        task = asyncio.create_task(register_until_done(unipile, url, secret))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
