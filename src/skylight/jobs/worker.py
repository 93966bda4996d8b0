"""The loop that runs jobs: in the server process by default, or in `skylight worker`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from skylight.jobs.models import Job
from skylight.jobs.repository import JobRepository
from skylight.kit.db import Database
from skylight.kit.time import utcnow

logger = logging.getLogger("skylight.jobs")

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class RetryLater(Exception):
    """Raised by a handler to run the job again later without counting it as a failure."""

    def __init__(self, delay_seconds: float, reason: str = "") -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds


def backoff(attempts: int) -> timedelta:
    seconds = min(300.0, 2.0 ** min(attempts, 9))
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311


class Worker:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 4,
        poll_seconds: float = 0.5,
        lease_seconds: float = 120.0,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{random.randrange(10**6)}"  # noqa: S311
        self._wake = asyncio.Event()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            free = self.concurrency - len(self._running)
            claimed = await self._claim(free) if free > 0 else []
            for job in claimed:
                self._running[job.id] = asyncio.create_task(self._execute(job))
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                self._wake.clear()
            elif len(self._running) >= self.concurrency:
                await asyncio.wait(self._running.values(), return_when=asyncio.FIRST_COMPLETED)

    async def _claim(self, limit: int) -> list[Job]:
        now = utcnow()
        async with self.db.transaction() as session:
            repo = JobRepository(session)
            # Only kinds this worker can run: a worker never takes (and fails) another's job.
            return list(await repo.claim(self.name, now, now + self.lease, limit, self.handlers))

    async def _execute(self, job: Job) -> None:
        try:
            handler = self.handlers.get(job.kind)
            if handler is None:
                await self._settle(job, error=f"no handler for {job.kind}", final=True)
                return
            try:
                await handler(json.loads(job.payload))
            except asyncio.CancelledError:
                async with self.db.transaction() as session:
                    await JobRepository(session).release(job.id, self.name)
                raise
            except RetryLater as later:
                async with self.db.transaction() as session:
                    await JobRepository(session).reschedule(
                        job.id, self.name, utcnow() + timedelta(seconds=later.delay_seconds)
                    )
            except Exception as exc:
                logger.exception("job %s (%s) failed", job.id, job.kind)
                await self._settle(
                    job,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                    final=job.attempts >= job.max_attempts,
                )
            else:
                async with self.db.transaction() as session:
                    await JobRepository(session).finish(job.id, self.name)
        finally:
            self._running.pop(job.id, None)

    async def _settle(self, job: Job, *, error: str, final: bool) -> None:
        async with self.db.transaction() as session:
            repo = JobRepository(session)
            if final:
                await repo.give_up(job.id, self.name, error)
            else:
                await repo.retry(job.id, self.name, utcnow() + backoff(job.attempts), error)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming, let running jobs finish within the grace period, hand back the rest."""
        self._stopping = True
        self._wake.set()
        if self._running:
            _, pending = await asyncio.wait(list(self._running.values()), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @asynccontextmanager
    async def running(self, grace_seconds: float = 10.0) -> AsyncIterator[Worker]:
        task = asyncio.create_task(self.run())
        try:
            yield self
        finally:
            await self.stop(grace_seconds)
            with contextlib.suppress(asyncio.CancelledError):
                await task
