from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from skylight.inbound.registration import attempt, retry_until_done
from skylight.inbound.secret import webhook_secret
from skylight.integrations.unipile.client import UnipileClient
from skylight.kit.loops import Loops
from skylight.kit.readiness import Reports
from skylight.kit.settings import Settings

logger = logging.getLogger("skylight.inbound")
ENDPOINT = "/webhooks/unipile"


@asynccontextmanager
async def inbound_webhooks(
    settings: Settings, unipile: UnipileClient, reports: Reports, loops: Loops
) -> AsyncIterator[None]:
    """Register our webhooks with Unipile: at once if it answers, else in the background, in a
    supervised loop (an unexpected error restarts the retries instead of ending them); `loops`
    stops it with the process. The outcome shows in /readyz (``unipile_webhooks``)."""
    url = settings.resolved_public_url + ENDPOINT
    secret = webhook_secret(settings)
    if not await attempt(unipile, url, secret, reports):

        async def until_done() -> None:
            await retry_until_done(unipile, url, secret, reports)

        loops.start("unipile.webhooks", until_done, until_done=True)
    yield
