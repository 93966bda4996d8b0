"""The worker never silently stops: errors in its loops are survived, the leases of the jobs it
runs are renewed, and it wakes when a job is enqueued instead of polling."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from skylight.jobs.models import Job
from skylight.jobs.repository import JobRepository
from skylight.jobs.service import JOBS_CHANNEL, enqueue
from skylight.jobs.worker import Worker
from skylight.kit.db import Database, create_engine
from skylight.kit.loops import Loops
from skylight.kit.signals import Signals
from tests.clock import FakeClock
from tests.sandbox_flows import eventually

pytestmark = pytest.mark.both_databases


def _kind() -> str:
    return f"test.{secrets.token_hex(4)}"


async def _jobs(db: Database, kind: str) -> Sequence[Job]:
    async with db.read() as session:
        return (await session.scalars(select(Job).where(Job.kind == kind))).all()


async def test_the_worker_survives_an_exception_inside_a_claim(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = _kind()
    ran: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        ran.append(payload["n"])

    real_claim = JobRepository.claim
    broken = {"left": 1}

    async def flaky_claim(self: JobRepository, *args: Any, **kwargs: Any) -> Sequence[Job]:
        if broken["left"] and kind in args[4]:
            broken["left"] -= 1
            raise RuntimeError("the claim blew up")
        return await real_claim(self, *args, **kwargs)

    monkeypatch.setattr(JobRepository, "claim", flaky_claim)
    worker = Worker(db, {kind: handler}, poll_seconds=0.01, name=f"w-{kind}")
    async with db.transaction() as session:
        await enqueue(session, kind, {"n": 1})
    async with worker.running():
        await eventually(lambda: _jobs(db, kind), lambda rows: not rows)
        health = worker.loops.health["jobs.claim"]
    assert broken["left"] == 0, "the claim never failed: the test proved nothing"
    assert ran == [1]
    assert health.failures == 0  # recovered: the failures were counted, then cleared
    assert health.last_ok_at is not None


async def test_the_heartbeat_renews_the_lease_of_a_long_job(db: Database) -> None:
    kind = _kind()
    clock = FakeClock()
    started, release = asyncio.Event(), asyncio.Event()

    async def long_job(_payload: dict[str, Any]) -> None:
        started.set()
        await release.wait()

    async with db.transaction() as session:
        await enqueue(session, kind, {}, run_at=clock())
    worker = Worker(
        db,
        {kind: long_job},
        poll_seconds=0.01,
        lease_seconds=10,
        heartbeat_seconds=0.01,
        clock=clock,
        name=f"w-{kind}",
    )
    async with worker.running():
        await asyncio.wait_for(started.wait(), 10)
        clock.advance(60)  # six leases later, still running

        async def lease_end() -> Any:
            return (await _jobs(db, kind))[0].locked_until

        renewed = await eventually(lease_end, lambda until: until > clock())
        async with db.transaction() as session:
            # Another worker looking now finds nothing to take over.
            taken = await JobRepository(session).claim(
                "other", clock(), clock(), 10, [kind], per_workspace=10, busy={}
            )
        release.set()
        await eventually(lambda: _jobs(db, kind), lambda rows: not rows)
    assert renewed > clock()
    assert taken == []


@asynccontextmanager
async def _another_process(database_url: str) -> AsyncIterator[tuple[Database, Signals]]:
    """A Database with its own engine and signals: what another process would have."""
    other = Database(create_engine(database_url))
    signals = Signals()
    signals.install(other.session_class, other.engine)
    try:
        yield other, signals
    finally:
        await other.dispose()


async def test_an_enqueued_job_wakes_an_idle_worker_at_once(app: FastAPI, db: Database) -> None:
    """The fallback poll is a minute: only the wake-up can make the job run within seconds."""
    kind = _kind()
    ran = asyncio.Event()

    async def handler(_payload: dict[str, Any]) -> None:
        ran.set()

    signals: Signals = app.state.signals
    worker = Worker(db, {kind: handler}, poll_seconds=60, name=f"w-{kind}")
    signals.subscribe(JOBS_CHANNEL, worker.wake)
    try:
        async with worker.running():
            # Let it claim nothing and go to sleep first.
            await eventually(lambda: asyncio.sleep(0, worker.sleeping), bool)
            async with db.transaction() as session:
                await enqueue(session, kind, {})
            await asyncio.wait_for(ran.wait(), 5)
    finally:
        signals.unsubscribe(JOBS_CHANNEL, worker.wake)


async def test_a_job_enqueued_by_another_process_wakes_the_worker(
    database_url: str, db: Database
) -> None:
    """On PostgreSQL through LISTEN/NOTIFY (SQLite runs one process, so it has no such case)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share PostgreSQL only")
    kind = _kind()
    ran = asyncio.Event()

    async def handler(_payload: dict[str, Any]) -> None:
        ran.set()

    async with _another_process(database_url) as (other, signals):
        worker = Worker(other, {kind: handler}, poll_seconds=60, name=f"w-{kind}")
        signals.subscribe(JOBS_CHANNEL, worker.wake)
        loops = Loops()
        signals.listen(other.engine, loops)
        try:
            await eventually(lambda: asyncio.sleep(0, signals.listening), bool)
            async with worker.running():
                await eventually(lambda: asyncio.sleep(0, worker.sleeping), bool)
                async with db.transaction() as session:  # the app's engine: "this" process
                    await enqueue(session, kind, {})
                await asyncio.wait_for(ran.wait(), 5)
        finally:
            await loops.stop()
