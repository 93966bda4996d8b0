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
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from skylight.kit.files import private_sqlite_file
from skylight.kit.loops import loop_backoff
from skylight.kit.sqlite import BUSY_TIMEOUT_SECONDS, READ_ONLY, configure_sqlite

# A connection idle this long is pinged before use (it may have died meanwhile, e.g. the server
# restarted); a busy pool pays nothing. Connections are replaced after RECYCLE_SECONDS anyway.
PING_IDLE_SECONDS = 5.0
RECYCLE_SECONDS = 1800
_LAST_USED = "skylight_last_used"
# Connections kept open per process (SKYLIGHT_DATABASE_POOL_SIZE), and how many more may open
# for a burst. Too few and every request past them opens and closes a connection of its own
# (on PostgreSQL: TCP, TLS probe, authentication, and cold prepared statements).
POOL_SIZE = 20
MAX_OVERFLOW = 10


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.database != ":memory:":
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, pool_recycle=RECYCLE_SECONDS, **kwargs)
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        private_sqlite_file(Path(parsed.database))
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, **kwargs)
    configure_sqlite(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """pool_pre_ping costs three round trips on every checkout (asyncpg pings inside a
    transaction). Only a connection that sat idle is pinged; one that died under load fails
    its statement, and SQLAlchemy then replaces every connection of the pool."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is not None and time.monotonic() - last > PING_IDLE_SECONDS:
            try:
                alive = dialect.do_ping(dbapi_connection)
            except Exception:
                alive = False
            if not alive:
                # The pool drops this connection and checks out another (up to three tries).
                raise DisconnectionError("connection died while idle")

    @event.listens_for(pool, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()


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
