"""SQLite writers of one process queue at the writer gate, not in SQLite's busy handler."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from skylight.kit.db import Database, create_engine
from skylight.kit.sqlite import WriterGate

WRITERS = 20


def _impatient_engine(tmp_path: Path) -> AsyncEngine:
    """Our engine, but SQLite gives up at once on a locked database instead of napping in its
    busy handler: any two writers that meet at SQLite's lock fail."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")

    @event.listens_for(engine.sync_engine, "connect")
    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    return engine


async def _write(db: Database, i: int, *, fail: bool = False) -> None:
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": i})
        await asyncio.sleep(0)  # let the others try to write meanwhile
        await session.execute(text("UPDATE t SET n = n + 0 WHERE n = :n"), {"n": i})
        if fail:
            raise RuntimeError("rolled back")


async def test_concurrent_writers_queue_instead_of_meeting_at_the_lock(tmp_path: Path) -> None:
    engine = _impatient_engine(tmp_path)
    db = Database(engine)
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        await asyncio.wait_for(asyncio.gather(*(_write(db, i) for i in range(WRITERS))), 60)
        async with db.read() as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == WRITERS
    finally:
        await engine.dispose()


async def test_a_rolled_back_writer_lets_the_next_one_in(tmp_path: Path) -> None:
    engine = _impatient_engine(tmp_path)
    db = Database(engine)
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        writers = [_write(db, i, fail=i % 2 == 0) for i in range(WRITERS)]
        outcomes = await asyncio.wait_for(asyncio.gather(*writers, return_exceptions=True), 60)
        assert [type(o) for o in outcomes[::2]] == [RuntimeError] * (WRITERS // 2)
        assert outcomes[1::2] == [None] * (WRITERS // 2)
        async with db.read() as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == WRITERS // 2
    finally:
        await engine.dispose()


async def test_reads_do_not_wait_for_the_gate(tmp_path: Path) -> None:
    engine = _impatient_engine(tmp_path)
    db = Database(engine)
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        async with db.transaction() as writer:
            await writer.execute(text("INSERT INTO t (n) VALUES (1)"))
            reading = asyncio.create_task(_count(db))
            assert await asyncio.wait_for(reading, 30) == 0  # the writer has not committed
    finally:
        await engine.dispose()


async def _count(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(text("SELECT count(*) FROM t")) or 0)


async def test_gate_hands_over_in_order_and_past_a_cancelled_waiter() -> None:
    gate = WriterGate()
    order: list[str] = []

    async def writer(name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        await gate.acquire(task, 30)
        order.append(name)
        await asyncio.sleep(0)
        gate.release()

    first = asyncio.current_task()
    assert first is not None
    await gate.acquire(first, 30)
    waiting = [asyncio.create_task(writer(name)) for name in "abc"]
    await asyncio.sleep(0)
    waiting[1].cancel()
    gate.release()
    await asyncio.gather(waiting[0], waiting[2])
    assert order == ["a", "c"]
    assert gate.holder is None
    with pytest.raises(asyncio.CancelledError):
        await waiting[1]
