"""What is kept, and for how long (settings `retention_*`); run by the periodic `retention` job
(see background.py), so once per interval across every process."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta

from skylight.idempotency.service import TTL as IDEMPOTENCY_TTL
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.retention.repository import delete_expired, indexed, walk_batch, walks

logger = logging.getLogger("skylight.retention")

# Rows per transaction: small enough that a writer waits at most a few milliseconds.
BATCH = 500
# Throttling looks back minutes; a dead worker's row is of no use after a day.
SHORT_LIVED = timedelta(days=1)


def cutoffs(settings: Settings, now: datetime) -> dict[str, datetime]:
    def days(value: float) -> datetime:
        return now - timedelta(days=value)

    return {
        "now": now,
        "idempotency_keys": now - IDEMPOTENCY_TTL,
        "jobs": days(settings.retention_jobs_days),
        "workers": now - SHORT_LIVED,
        "sign_in_failures": now - SHORT_LIVED,
        "unipile_inbox": days(settings.retention_inbox_days),
        "webhook_deliveries": days(settings.retention_webhook_deliveries_days),
        "events": days(settings.retention_events_days),
        "contact_imports": days(settings.retention_contact_imports_days),
    }


async def purge(
    db: Database, settings: Settings, now: datetime, batch: int = BATCH
) -> Counter[str]:
    """Delete everything past its window; how many rows of each table went."""
    limits = cutoffs(settings, now)
    deleted: Counter[str] = Counter()
    for rule in indexed(limits):
        while True:
            async with db.transaction() as session:
                count = await delete_expired(session, rule, batch)
            deleted[rule.name] += count
            if count < batch:
                break
            await asyncio.sleep(0)  # let waiting writers in between batches
    for walk in walks():
        after: int | None = 0
        while after is not None:
            async with db.transaction() as session:
                step = await walk_batch(session, walk, after, limits[walk.name], batch)
            deleted[walk.name] += step.deleted
            after = step.next_after
            await asyncio.sleep(0)
    if deleted.total():
        logger.info("retention deleted %s", dict(sorted(deleted.items())))
    return deleted
