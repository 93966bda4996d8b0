"""Runs reconciliation in the server process: once at start-up, every interval, and soon after
a channel returns to OK. One run at a time; triggers during a run coalesce into one more."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from skylight.integrations.unipile.client import UnipileClient
from skylight.kit.db import Database
from skylight.messages.reconcile import Report, reconcile_all

logger = logging.getLogger("skylight.reconcile")


class Reconciler:
    def __init__(self, db: Database, unipile: UnipileClient, interval_seconds: float) -> None:
        self._db = db
        self._unipile = unipile
        self._interval = interval_seconds
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._accounts: set[str] = set()
        self.runs = 0

    def trigger(self, account_id: str) -> None:
        """Catch up this account soon (it just came back to OK)."""
        self._accounts.add(account_id)
        self._wake.set()

    async def run_once(self, only_accounts: set[str] | None = None) -> Report:
        async with self._lock:
            report = await reconcile_all(self._db, self._unipile, only_accounts)
            self.runs += 1
            if report.stored or report.receipts or report.expired:
                logger.info("reconciled: %s", report)
            return report

    async def _loop(self) -> None:
        only: set[str] | None = None  # the first pass, and every interval, covers everything
        while True:
            try:
                await self.run_once(only)
            except Exception:  # a failed run must not end the loop
                logger.exception("reconciliation failed")
            only = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
                only, self._accounts = self._accounts, set()
            self._wake.clear()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Reconciler]:
        task = asyncio.create_task(self._loop())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
