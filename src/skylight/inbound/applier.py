"""Applies the queued Unipile webhooks of this process, and the ones any process left behind.

Woken by each new entry; a supervised loop (kit.loops) also looks every `poll_seconds` for
entries another process queued and could not apply (it crashed). On PostgreSQL several
processes drain the queue side by side (each batch skips rows another holds); on SQLite the
write lock is one at a time anyway.

A webhook that arrives while no other is being handled in this process is applied before it is
answered (`apply_now`): at ordinary rates a message is in the API when Unipile hears back, and
under load the batches take over (one transaction for many webhooks)."""

from __future__ import annotations

import asyncio
import contextlib

from skylight.inbound.repository import InboxRepository
from skylight.inbound.service import apply_queued
from skylight.kit.db import Database
from skylight.kit.loops import Loops

BATCH = 200
POLL_SECONDS = 1.0
LOOP = "inbound.apply"


class InboxApplier:
    def __init__(
        self, db: Database, *, batch: int = BATCH, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self._db = db
        self._batch = batch
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        # One drain at a time in this process (the loop's, or a lone webhook's own).
        self._draining = asyncio.Lock()
        # Webhook requests being handled right now (see apply_now).
        self.handling = 0

    def wake(self) -> None:
        self._wake.set()

    def start(self, loops: Loops) -> None:
        loops.start(LOOP, self.step, period=self._poll_seconds)

    async def step(self) -> None:
        """Wait for a wake-up (or the poll), then apply everything queued."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._poll_seconds):
                await self._wake.wait()
        woken = self._wake.is_set()
        self._wake.clear()
        if woken or await self._anything_queued():
            await self.drain()

    async def apply_now(self) -> bool:
        """Apply what is queued before answering, when this is the only webhook being
        handled (True); otherwise leave it to the loop, woken (False)."""
        if self.handling <= 1:
            await self.drain()
            return True
        self.wake()
        return False

    async def drain(self) -> int:
        async with self._draining:
            total = 0
            while True:
                taken = await apply_queued(self._db, limit=self._batch)
                total += taken
                if taken < self._batch:
                    return total

    async def _anything_queued(self) -> bool:
        # A read: on SQLite an idle poll must not take the write lock.
        async with self._db.read() as session:
            return await InboxRepository(session).anything_queued()
