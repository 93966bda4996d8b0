"""The job queue on a real database: shared by workers without double-taking, crash-safe."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from skylight.jobs.models import Job, JobState
from skylight.jobs.repository import JobRepository
from skylight.jobs.service import enqueue
from skylight.jobs.worker import RetryLater, Worker
from skylight.kit.db import Database
from skylight.kit.time import utcnow
from tests.sandbox_flows import eventually

pytestmark = pytest.mark.both_databases


def _kind() -> str:
    # Each test uses its own job kind, so the app's in-process worker never runs them.
    return f"test.{secrets.token_hex(4)}"


async def _jobs_left(db: Database, kind: str) -> list[Job]:
    async with db.transaction() as session:
        return list((await session.scalars(select(Job).where(Job.kind == kind))).all())


async def test_two_workers_share_the_queue_and_run_each_job_once(db: Database) -> None:
    kind = _kind()
    seen: Counter[int] = Counter()

    async def handler(payload: dict[str, Any]) -> None:
        seen[payload["n"]] += 1
        await asyncio.sleep(0.001)

    async with db.transaction() as session:
        for n in range(200):
            await enqueue(session, kind, {"n": n})
    first = Worker(db, {kind: handler}, concurrency=4, poll_seconds=0.01, name="w1")
    second = Worker(db, {kind: handler}, concurrency=4, poll_seconds=0.01, name="w2")
    async with first.running(), second.running():
        left = await eventually(lambda: _jobs_left(db, kind), lambda rows: not rows, within=30)
    assert left == []
    assert sorted(seen) == list(range(200))
    assert set(seen.values()) == {1}


async def test_a_dead_workers_job_is_taken_over_after_its_lease(db: Database) -> None:
    kind = _kind()
    async with db.transaction() as session:
        await enqueue(session, kind, {"n": 1})
    now = utcnow()
    async with db.transaction() as session:
        # A worker claims it and then dies (never finishes, never releases).
        claimed = await JobRepository(session).claim(
            "dead", now, now + timedelta(seconds=0.2), 10, [kind], per_workspace=10, busy={}
        )
    assert [job.kind for job in claimed if job.kind == kind] == [kind]
    ran: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        ran.append(payload["n"])

    async with Worker(db, {kind: handler}, poll_seconds=0.02, name="alive").running():
        await eventually(lambda: _jobs_left(db, kind), lambda rows: not rows, within=10)
    assert ran == [1]


async def test_graceful_stop_hands_unfinished_jobs_back(db: Database) -> None:
    kind = _kind()
    started = asyncio.Event()

    async def slow(_payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(60)

    async with db.transaction() as session:
        await enqueue(session, kind, {})
    worker = Worker(db, {kind: slow}, poll_seconds=0.01, name="leaving")
    async with worker.running(grace_seconds=0.1):
        await asyncio.wait_for(started.wait(), timeout=10)
    [job] = await _jobs_left(db, kind)
    assert job.state == JobState.QUEUED
    assert job.locked_by is None
    assert job.attempts == 0


async def test_failures_retry_with_backoff_then_give_up(db: Database) -> None:
    kind = _kind()
    attempts: list[int] = []

    async def broken(_payload: dict[str, Any]) -> None:
        attempts.append(1)
        raise ValueError("upstream said no")

    async with db.transaction() as session:
        await enqueue(session, kind, {}, max_attempts=1)
    async with Worker(db, {kind: broken}, poll_seconds=0.01, name="w").running():
        rows = await eventually(
            lambda: _jobs_left(db, kind), lambda r: r[0].state == JobState.FAILED, within=10
        )
    assert rows[0].state == JobState.FAILED
    assert rows[0].last_error == "ValueError: upstream said no"
    assert len(attempts) == 1

    retried = _kind()
    async with db.transaction() as session:
        await enqueue(session, retried, {}, max_attempts=3)
    async with Worker(db, {retried: broken}, poll_seconds=0.01, name="w").running():
        rows = await eventually(
            lambda: _jobs_left(db, retried), lambda r: r[0].attempts == 1 and r[0].state == "queued"
        )
    # One failure: back in the queue, due later (backoff), with the error kept.
    assert rows[0].state == JobState.QUEUED
    assert rows[0].run_at > utcnow()
    assert rows[0].last_error == "ValueError: upstream said no"


async def test_retry_later_reschedules_without_counting_an_attempt(db: Database) -> None:
    kind = _kind()
    calls: list[int] = []

    async def pacing(_payload: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RetryLater(0.05)

    async with db.transaction() as session:
        await enqueue(session, kind, {}, max_attempts=1)
    async with Worker(db, {kind: pacing}, poll_seconds=0.01, name="w").running():
        left = await eventually(lambda: _jobs_left(db, kind), lambda rows: not rows, within=10)
    assert left == []
    assert len(calls) == 3


async def test_dedupe_key_keeps_one_live_job(db: Database) -> None:
    kind = _kind()
    key = f"{kind}:only"
    async with db.transaction() as session:
        first = await enqueue(session, kind, {"n": 1}, dedupe_key=key)
        second = await enqueue(session, kind, {"n": 2}, dedupe_key=key)
    assert first is not None
    assert second is None
    assert len(await _jobs_left(db, kind)) == 1


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(db: Database) -> None:
    kind = _kind()
    try:
        async with db.transaction() as session:
            await enqueue(session, kind, {})
            raise RuntimeError("the change it belonged to failed")
    except RuntimeError:
        pass
    assert await _jobs_left(db, kind) == []
