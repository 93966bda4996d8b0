"""Retention of files: an upload that no message or campaign uses is deleted once it is
`files_orphan_hours` old, and so is a file whose messages were all deleted (attachments follow
their message). One `files.sweep` job does it every `files_sweep_interval_seconds`; it is
created with the first file and reschedules itself, never failing for good."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.files.repository import FileStore
from skylight.files.storage import Storage, StorageError
from skylight.jobs.service import enqueue
from skylight.jobs.worker import RetryLater
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow

logger = logging.getLogger("skylight.files")
SWEEP_JOB = "files.sweep"
BATCH = 200


async def ensure_sweep(session: AsyncSession) -> None:
    """In the transaction that makes a file: the sweep job exists (one, whoever asks; the first
    run finds little and schedules the next)."""
    await enqueue(session, SWEEP_JOB, {}, dedupe_key=SWEEP_JOB)


async def sweep(db: Database, storage: Storage, settings: Settings, now: datetime) -> int:
    """Delete unused files made before the cutoff, rows then bytes; how many went. Bytes whose
    deletion fails are left behind (private, unreachable), never a reason to stop."""
    cutoff = now - timedelta(hours=settings.files_orphan_hours)
    deleted = 0
    while True:
        async with db.transaction() as session:
            gone = await FileStore(session).delete_unused_before(cutoff, BATCH)
        for _, key in gone:
            if key is None:
                continue
            try:
                await storage.delete(key)
            except StorageError as exc:
                logger.warning("file bytes %s left in storage: %s", key, exc)
        deleted += len(gone)
        if len(gone) < BATCH:
            return deleted


async def run_job(
    db: Database, storage: Storage, settings: Settings, _payload: dict[str, Any]
) -> None:
    try:
        count = await sweep(db, storage, settings, utcnow())
        if count:
            logger.info("deleted %s unused files", count)
    except Exception:
        logger.exception("file sweep failed; trying again at the next interval")
    raise RetryLater(settings.files_sweep_interval_seconds, "next sweep")
