"""PostgreSQL connections: no ping per checkout, but one that died while idle is replaced
before anyone uses it (as pool_pre_ping did)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from skylight.kit import db as kit_db
from skylight.kit.db import Database, create_engine
from tests.databases import (
    PostgresUnavailable,
    fresh_postgres_database,
    postgres_admin_url,
    postgres_required,
)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    try:
        async with fresh_postgres_database() as url:
            engine = create_engine(url, pool_size=1, max_overflow=0)
            try:
                yield engine
            finally:
                await engine.dispose()
    except PostgresUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CI=true) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")


async def _backend_pid(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def _terminate(pid: int) -> None:
    admin = create_async_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()


async def test_a_connection_that_died_idle_is_replaced(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit_db, "PING_IDLE_SECONDS", 0.0)  # every checkout counts as idle
    db = Database(engine)
    first = await _backend_pid(db)
    await _terminate(first)
    second = await _backend_pid(db)  # no error: the dead one was noticed and replaced
    assert second != first


async def test_a_busy_connection_is_not_pinged(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit_db, "PING_IDLE_SECONDS", 3600.0)
    dialect = engine.sync_engine.dialect
    pings: list[object] = []
    real_ping = dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)  # type: ignore[arg-type]

    monkeypatch.setattr(dialect, "do_ping", counted_ping)
    db = Database(engine)
    for _ in range(3):
        await _backend_pid(db)
    assert pings == []  # pool_pre_ping would have pinged on every checkout
