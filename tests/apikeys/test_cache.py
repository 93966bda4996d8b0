"""Known keys are remembered briefly; a revocation is never undone by the cache."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.apikeys.cache import CallerCache
from skylight.apikeys.models import ApiKey
from skylight.apikeys.service import Caller, identify, revoke_key
from skylight.kit.db import transaction
from skylight.kit.time import utcnow
from tests.factories import TenantFixture


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CALLER = Caller(workspace_id=1, workspace_slug="a", workspace_timezone="UTC", api_key_id=7)


def test_an_entry_expires() -> None:
    clock = Clock()
    cache = CallerCache(clock)
    cache.put("h", CALLER, 5, cache.generation)
    clock.now += 4.9
    assert cache.get("h") == CALLER
    clock.now += 0.2
    assert cache.get("h") is None


def test_a_lookup_that_began_before_a_revocation_is_not_remembered() -> None:
    cache = CallerCache(Clock())
    began = cache.generation
    cache.forget_key(CALLER.api_key_id)  # revoked while the lookup was reading
    cache.put("h", CALLER, 5, began)
    assert cache.get("h") is None


def test_zero_seconds_remembers_nothing() -> None:
    cache = CallerCache(Clock())
    cache.put("h", CALLER, 0, cache.generation)
    assert cache.get("h") is None


async def _key_id(maker: async_sessionmaker[AsyncSession], workspace_id: int) -> int:
    async with transaction(maker) as session:
        key_id = await session.scalar(select(ApiKey.id).where(ApiKey.workspace_id == workspace_id))
    assert key_id is not None
    return key_id


async def test_a_known_key_is_not_looked_up_again(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    lookups: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM api_keys" in statement:
            lookups.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            response = await client.get("/api/v1/contacts", headers=tenant.headers)
            assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(lookups) == 1


async def test_a_key_revoked_in_this_process_is_refused_at_once_even_if_remembered(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert (await client.get("/api/v1/contacts", headers=tenant.headers)).status_code == 200
    key_id = await _key_id(sessionmaker, tenant.workspace_id)
    async with transaction(sessionmaker) as session:
        await revoke_key(session, key_id)
        # A lookup between the revocation and its commit still finds the key active, and
        # remembers it...
        during = await identify(app.state.db, tenant.key, "test", cache_seconds=60)
        assert during.api_key_id == key_id
    # ...but the commit forgets it again.
    after = await client.get("/api/v1/contacts", headers=tenant.headers)
    assert after.status_code == 401


async def test_a_revocation_seen_by_an_open_stream_is_forgotten(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Another process revoked it (straight in the database): once this process notices (the
    event stream re-checks its key), the key is refused here too, not after the cache's time."""
    from skylight.apikeys.service import is_active

    assert (await client.get("/api/v1/contacts", headers=tenant.headers)).status_code == 200
    key_id = await _key_id(sessionmaker, tenant.workspace_id)
    async with transaction(sessionmaker) as session:
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=utcnow()))
    async with app.state.db.read() as session:
        assert not await is_active(session, key_id)
    assert (await client.get("/api/v1/contacts", headers=tenant.headers)).status_code == 401
