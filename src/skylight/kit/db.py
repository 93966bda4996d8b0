"""Engine and session plumbing. One session per request or job, committed at its boundary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from skylight.kit.files import private_sqlite_file
from skylight.kit.loops import loop_backoff

# Execution option of read-only sessions (Database.read).
READ_ONLY = "skylight_read_only"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        private_sqlite_file(Path(parsed.database))
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN/SAVEPOINT behave as on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # Reads never write, so they need no write lock and never queue behind writers.
            connection.exec_driver_sql("BEGIN")
            return
        # IMMEDIATE takes the write lock up front: a deferred transaction that later writes can
        # fail with SQLITE_BUSY without waiting, which would surface as a 500.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(
    engine: AsyncEngine, session_class: type[Session] = Session
) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=session_class
    )


@asynccontextmanager
async def transaction(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit if the block succeeded, roll back otherwise."""
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# Deadlock and serialization failure: the transaction was rolled back whole; run it again.
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})
# The server is shutting down or starting up (a failover or restart), or has no connection
# to spare; class 08 is every connection exception.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_unavailable(exc: BaseException) -> bool:
    """The database could not do the work now (unreachable, restarting, a deadlock), as opposed
    to refusing it (a constraint, bad SQL): doing it again later may well succeed."""
    if isinstance(exc, OSError | ConnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
        return True
    state = str(getattr(exc.orig, "sqlstate", None) or "")
    if state in _RETRY_SQLSTATES or state in _UNAVAILABLE_SQLSTATES or state.startswith("08"):
        return True
    # ALTER DATABASE ... ALLOW_CONNECTIONS false (maintenance, a failover being prepared).
    return state == "55000" and "not currently accepting connections" in str(exc.orig)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


class Database:
    """Engine + sessions. Flows that call Unipile open one short transaction per step so no
    transaction (and on SQLite no write lock) is ever held across an upstream call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # A class of its own, so session event hooks (see events.notifier) stay per database.
        self.session_class: type[Session] = type("DatabaseSession", (Session,), {})
        self.sessionmaker = create_sessionmaker(engine, self.session_class)
        reader = engine.execution_options(**{READ_ONLY: True, "postgresql_readonly": True})
        self.read_sessionmaker = create_sessionmaker(reader, self.session_class)

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return transaction(self.sessionmaker)

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A read-only unit of work: on SQLite a deferred transaction that takes no write lock
        (so probes and pollers never queue behind writers), on PostgreSQL READ ONLY."""
        return transaction(self.read_sessionmaker)

    async def dispose(self) -> None:
        await self.engine.dispose()


T = TypeVar("T")


async def retrying(
    db: Database, work: Callable[[AsyncSession], Awaitable[T]], *, within: float
) -> T:
    """`work` in a transaction, run again while the database is unavailable (a failover, a
    restart), for at most `within` seconds: for recording an outcome that is known and must
    not be lost (a message Unipile accepted)."""
    deadline = time.monotonic() + within
    failures = 0
    while True:
        try:
            async with db.transaction() as session:
                return await work(session)
        except Exception as exc:
            if not is_unavailable(exc) or time.monotonic() > deadline:
                raise
            failures += 1
            await asyncio.sleep(loop_backoff(failures))


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support on both dialects (the constructs differ by name only)."""
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
