"""Reconciliation as background work: a pass over every healthy channel once per interval
(the periodic job `messages.reconcile_all`, run by one worker across all processes, see
background.py), and a pass over one account soon after it returns to OK (a job of its own)."""

from __future__ import annotations

import asyncio
import logging

from skylight.integrations.unipile.client import UnipileClient
from skylight.jobs.service import enqueue
from skylight.kit.db import Database
from skylight.messages.reconcile import Report, reconcile_all

logger = logging.getLogger("skylight.reconcile")

ALL_KIND = "messages.reconcile_all"
ACCOUNT_KIND = "messages.reconcile_account"


class Reconciler:
    def __init__(self, db: Database, unipile: UnipileClient) -> None:
        self._db = db
        self._unipile = unipile
        # Within a process one pass at a time; across processes the job queue sees to it.
        self._lock = asyncio.Lock()
        self.runs = 0

    async def run_once(self, only_accounts: set[str] | None = None) -> Report:
        async with self._lock:
            report = await reconcile_all(self._db, self._unipile, only_accounts)
            self.runs += 1
            if report.stored or report.receipts or report.expired:
                logger.info("reconciled: %s", report)
            return report

    async def trigger(self, account_id: str) -> None:
        """Catch up this account soon (it just came back to OK): one queued pass per account."""
        async with self._db.transaction() as session:
            await enqueue(
                session,
                ACCOUNT_KIND,
                {"account_id": account_id},
                dedupe_key=f"{ACCOUNT_KIND}:{account_id}",
            )
