"""Periodic work runs once per interval across processes: two workers, each with its own engine
as two processes would have, run reconciliation once per interval between them."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from fastapi import FastAPI

from skylight.jobs import periodic
from skylight.jobs.periodic import Periodic
from skylight.jobs.worker import Worker
from skylight.kit.db import Database, create_engine
from skylight.messages.reconcile import reconcile_all
from tests.clock import FakeClock
from tests.sandbox_flows import eventually

pytestmark = pytest.mark.both_databases

INTERVAL = 300.0


@asynccontextmanager
async def _process(
    app: FastAPI, database_url: str, task: Periodic, clock: FakeClock, name: str
) -> AsyncIterator[Worker]:
    """A worker with its own engine, as another process has, on PostgreSQL. SQLite runs one
    process (and a second engine on its live file in this process would drop the file's POSIX
    locks): there the two workers share the app's engine."""
    shared = database_url.startswith("sqlite")
    db: Database = app.state.db if shared else Database(create_engine(database_url))

    async def on_start(session: object, now: object) -> None:
        await periodic.schedule(session, [task], clock())  # type: ignore[arg-type]

    worker = Worker(
        db,
        {task.kind: periodic.handler_for(task)},
        poll_seconds=0.02,
        clock=clock,
        on_start=on_start,
        name=name,
    )
    try:
        async with worker.running():
            yield worker
    finally:
        if not shared:
            await db.dispose()


def wake(*workers: Worker) -> None:
    for worker in workers:
        worker.wake()


async def test_two_processes_reconcile_once_per_interval_between_them(
    app: FastAPI, database_url: str
) -> None:
    clock = FakeClock()
    runs: list[str] = []
    at_once = 0
    busy = 0

    async def reconcile() -> None:
        nonlocal busy, at_once
        busy += 1
        at_once = max(at_once, busy)
        try:
            runs.append("run")
            await reconcile_all(app.state.db, app.state.unipile)
        finally:
            busy -= 1

    # A kind of its own, so the app's worker (with the real schedule) never runs this one.
    task = Periodic(f"test.reconcile.{secrets.token_hex(3)}", INTERVAL, reconcile)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(_process(app, database_url, task, clock, "one"))
        second = await stack.enter_async_context(_process(app, database_url, task, clock, "two"))

        async def idle() -> bool:
            await asyncio.sleep(0)
            return first.idle and second.idle

        # At start-up both make sure the job exists; it runs once, due at once.
        async def count() -> int:
            await asyncio.sleep(0)
            return len(runs)

        await eventually(count, (1).__le__)
        assert await eventually(idle, bool)
        for interval in range(1, 6):
            clock.advance(INTERVAL / 2)  # half an interval: nothing is due
            wake(first, second)
            assert await eventually(idle, bool)
            assert len(runs) == interval
            clock.advance(INTERVAL / 2)
            wake(first, second)
            await eventually(count, (interval + 1).__le__)
            assert await eventually(idle, bool)
            assert len(runs) == interval + 1
    assert len(runs) == 6
    assert at_once == 1
