"""The loop that runs jobs: in the server process by default, or in `skylight worker`.

Supervised (kit.loops): a database error in a claim, a heartbeat or the recording of a job's
outcome is logged and retried with backoff; the worker never ends on its own. It wakes when a
job is enqueued (kit.signals: LISTEN/NOTIFY on PostgreSQL, after-commit in-process) or becomes
due, instead of polling; a heartbeat renews the leases of the jobs it runs and records that it
is alive (the `workers` table) for /readyz and /metrics. A worker runs at most its
per-workspace share of one workspace's jobs at a time, so no tenant can take every slot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.jobs.models import Job
from skylight.jobs.repository import JobRepository, WorkerRepository
from skylight.kit.db import Database, is_unavailable
from skylight.kit.loops import Loops, loop_backoff
from skylight.kit.time import Clock, utcnow

logger = logging.getLogger("skylight.jobs")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
# Run once at start-up, in one transaction (e.g. make sure the periodic jobs exist).
StartUp = Callable[[AsyncSession, datetime], Awaitable[None]]
# Told when a job of its kind gave up for good, in that transaction: (session, payload, error).
GiveUp = Callable[[AsyncSession, dict[str, Any], str], Awaitable[None]]


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
        per_workspace: int | None = None,
        poll_seconds: float = 5.0,
        lease_seconds: float = 120.0,
        heartbeat_seconds: float | None = None,
        name: str | None = None,
        clock: Clock = utcnow,
        on_start: StartUp | None = None,
        give_up_seconds: float | None = None,
        on_give_up: Mapping[str, GiveUp] | None = None,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        # Half the slots by default: a second tenant always finds room.
        self.per_workspace = per_workspace or max(1, concurrency // 2)
        # Only a fallback: enqueues and finished jobs wake the worker, due times are computed.
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.heartbeat_seconds = heartbeat_seconds or min(10.0, lease_seconds / 4)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{random.randrange(10**6)}"  # noqa: S311
        self.clock = clock
        self._on_start = on_start
        self._on_give_up = dict(on_give_up or {})
        # Failing without a break for give_up_seconds marks it unrecoverable (skylight worker).
        self.loops = Loops(give_up_after=give_up_seconds)
        self._wake = asyncio.Event()
        self._running: dict[int, tuple[asyncio.Task[None], int | None]] = {}
        self._stopping = False
        # True while it waits for a wake-up or the next due job.
        self.sleeping = False
        self.started_at = clock()
        self.progress_at = self.started_at

    def wake(self, _payload: str | None = None) -> None:
        self._wake.set()

    @property
    def running_jobs(self) -> int:
        return len(self._running)

    @property
    def idle(self) -> bool:
        """Asleep with no wake-up pending and nothing running (for tests and diagnostics)."""
        return self.sleeping and not self._wake.is_set() and not self._running

    def start(self) -> None:
        self.loops.start("jobs.heartbeat", self._heartbeat_step, period=self.heartbeat_seconds)
        self.loops.start("jobs.claim", self._claim_step, period=self.poll_seconds)
        if self._on_start is not None:
            self.loops.start("jobs.start_up", self._start_up, until_done=True)

    async def _start_up(self) -> None:
        assert self._on_start is not None
        async with self.db.transaction() as session:
            await self._on_start(session, self.clock())

    # Claiming.

    async def _claim_step(self) -> None:
        self._wake.clear()  # before the claim: a wake-up during it is not lost
        free = self.concurrency - len(self._running)
        if self._stopping or free <= 0:
            await self._sleep(self.poll_seconds)
            return
        claimed = await self._claim(free)
        self.progress_at = self.clock()
        for job in claimed:
            task = asyncio.create_task(self._execute(job), name=f"job {job.id} {job.kind}")
            self._running[job.id] = (task, job.workspace_id)
        if claimed:
            return  # more may be due: claim again at once
        await self._sleep(await self._until_next_due())

    async def _claim(self, limit: int) -> list[Job]:
        now = self.clock()
        busy = Counter(workspace_id for _task, workspace_id in self._running.values())
        async with self.db.transaction() as session:
            rows = await JobRepository(session).claim(
                self.name,
                now,
                now + self.lease,
                limit,
                # Only kinds this worker can run: a worker never takes (and fails) another's job.
                self.handlers,
                per_workspace=self.per_workspace,
                busy=busy,
                running=list(self._running),
            )
            return list(rows)

    async def _until_next_due(self) -> float:
        async with self.db.read() as session:
            due = await JobRepository(session).next_due(self.handlers)
        if due is None:
            return self.poll_seconds
        seconds = (due - self.clock()).total_seconds()
        # Due already but not claimed: it belongs to a workspace at its share (a finished job
        # wakes us) or another worker is taking it.
        return self.poll_seconds if seconds <= 0 else min(seconds, self.poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: on 3.11 a wait_for cancelled as its event is set can
        # swallow the cancellation, and stop() would wait forever.
        self.sleeping = True
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(seconds, 0.001)):
                    await self._wake.wait()
        finally:
            self.sleeping = False

    # Running and recording.

    async def _execute(self, job: Job) -> None:
        try:
            await self._run_handler(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The outcome could not be recorded: the lease lapses and the job runs again.
            logger.exception("job %s (%s): outcome not recorded", job.id, job.kind)
        finally:
            self._running.pop(job.id, None)
            self._wake.set()  # a slot is free

    async def _run_handler(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            await self._record(job, "give_up", error=f"no handler for {job.kind}")
            return
        try:
            await handler(json.loads(job.payload))
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):  # shutting down: one try, else the lease lapses
                async with self.db.transaction() as session:
                    await JobRepository(session).release(job.id, self.name)
            raise
        except RetryLater as later:
            await self._record(job, "reschedule", delay=later.delay_seconds)
        except Exception as exc:
            if is_unavailable(exc):
                # Not the job's fault: run it again when the database is back, uncounted.
                logger.warning("job %s (%s): database unavailable: %s", job.id, job.kind, exc)
                await self._record(job, "reschedule", delay=loop_backoff(job.attempts))
                return
            logger.exception("job %s (%s) failed", job.id, job.kind)
            error = f"{type(exc).__name__}: {exc}"[:2000]
            final = job.attempts >= job.max_attempts
            await self._record(job, "give_up" if final else "retry", error=error)
        else:
            await self._record(job, "finish")

    async def _record(
        self, job: Job, outcome: str, *, error: str | None = None, delay: float = 0.0
    ) -> None:
        """Write a job's outcome, retrying while the database is away: an outcome known but
        lost would mean running the job again (a webhook sent twice)."""
        failures = 0
        while True:
            now = self.clock()
            try:
                async with self.db.transaction() as session:
                    repo = JobRepository(session)
                    if outcome == "finish":
                        await repo.finish(job.id, self.name)
                    elif outcome == "reschedule":
                        await repo.reschedule(job.id, self.name, now + timedelta(seconds=delay))
                    elif outcome == "retry":
                        await repo.retry(job.id, self.name, now + backoff(job.attempts), error)
                    else:
                        await repo.give_up(job.id, self.name, error or "", now)
                        await self._gave_up(session, job, error or "")
                return
            except Exception as exc:
                if not is_unavailable(exc) or self._stopping:
                    raise
                failures += 1
                wait = loop_backoff(failures)
                logger.warning("job %s: not recorded (%s); again in %.1fs", job.id, exc, wait)
                await asyncio.sleep(wait)

    async def _gave_up(self, session: AsyncSession, job: Job, error: str) -> None:
        """Its kind's hook, in the transaction that gives the job up; a failing hook is logged
        and rolled back alone (a savepoint), never a reason to run the job again."""
        hook = self._on_give_up.get(job.kind)
        if hook is None:
            return
        try:
            async with session.begin_nested():
                await hook(session, json.loads(job.payload), error)
        except Exception as exc:
            if is_unavailable(exc):
                raise  # the whole outcome is recorded again once the database is back
            logger.exception("job %s (%s): its give-up hook failed", job.id, job.kind)

    # Heartbeat.

    async def _heartbeat_step(self) -> None:
        now = self.clock()
        async with self.db.transaction() as session:
            await JobRepository(session).renew(self.name, list(self._running), now + self.lease)
            await WorkerRepository(session).beat(
                self.name,
                now=now,
                started_at=self.started_at,
                progress_at=self.progress_at,
                concurrency=self.concurrency,
                running=len(self._running),
            )
        await asyncio.sleep(self.heartbeat_seconds)

    # Life cycle.

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming, let running jobs finish within the grace period, hand back the rest."""
        self._stopping = True
        self._wake.set()
        await self.loops.stop("jobs.claim", "jobs.start_up")
        tasks = [task for task, _ws in self._running.values()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.loops.stop()
        with contextlib.suppress(Exception):
            async with self.db.transaction() as session:
                await WorkerRepository(session).forget(self.name)

    @asynccontextmanager
    async def running(self, grace_seconds: float = 10.0) -> AsyncIterator[Worker]:
        self.start()
        try:
            yield self
        finally:
            await self.stop(grace_seconds)
