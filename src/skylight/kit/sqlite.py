"""SQLite as we run it: WAL, foreign keys, and one writer at a time queued in-process.

Every write transaction is ``BEGIN IMMEDIATE`` (a deferred one that later writes can fail with
SQLITE_BUSY without waiting, a 500). SQLite lets one writer in at a time; the others sleep in
its busy handler (1, 2, 5 ... 100 ms naps), so under load a writer may wait whole seconds after
the lock came free. The writer gate queues this process's writers in order instead: a
connection takes the gate before its ``BEGIN IMMEDIATE`` and gives it back when it returns to
the pool (after its COMMIT or ROLLBACK). Other processes still meet at SQLite's own lock (the
busy timeout stays). Read-only transactions (``Database.read``) take neither."""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_

logger = logging.getLogger(__name__)

# Execution option of read-only sessions (Database.read).
READ_ONLY = "skylight_read_only"
BUSY_TIMEOUT_SECONDS = 30
_HOLDER = "skylight_writer_gate"


class WriterGate:
    """A FIFO lock of one event loop's tasks, that knows which task holds it. Not an
    asyncio.Lock: that one binds itself to the first loop it waits on, and an engine may
    outlive a loop (tests)."""

    def __init__(self) -> None:
        self.holder: asyncio.Task[Any] | None = None
        self._waiters: collections.deque[tuple[asyncio.Future[None], asyncio.Task[Any]]] = (
            collections.deque()
        )

    async def acquire(self, task: asyncio.Task[Any], within: float) -> None:
        if self.holder is None and not self._waiters:
            self.holder = task
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (waiter, task)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(within):
                await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over as we gave up: pass it on
            else:
                self._waiters.remove(entry)
            raise

    def release(self) -> None:
        while self._waiters:
            waiter, task = self._waiters.popleft()
            if not waiter.done():
                self.holder = task
                waiter.set_result(None)
                return
        self.holder = None


def configure_sqlite(engine: AsyncEngine) -> WriterGate:
    gate = WriterGate()

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN/SAVEPOINT behave as on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # Reads never write, so they need no write lock and never queue behind writers.
            connection.exec_driver_sql("BEGIN")
            return
        _enter_gate(gate, connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # Back in the pool: committed, rolled back or invalidated, the transaction is over.
        if record is not None and record.info.pop(_HOLDER, False):
            gate.release()

    return gate


def _enter_gate(gate: WriterGate, info: dict[str, Any]) -> None:
    if info.get(_HOLDER):
        return  # this connection holds it already (a second transaction before its return)
    task = asyncio.current_task()
    if task is None or gate.holder is task:
        # The same task writing on a second connection while its first transaction is open
        # would wait for itself: leave it to SQLite's busy timeout, as without the gate.
        logger.debug("writer gate skipped: no task, or the task holds it on another connection")
        return
    await_(gate.acquire(task, BUSY_TIMEOUT_SECONDS))
    info[_HOLDER] = True
