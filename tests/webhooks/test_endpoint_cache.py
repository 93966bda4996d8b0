"""Each process remembers which endpoints want a workspace's events; a change is never missed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select, update

from skylight.events.service import emit
from skylight.kit.db import Database, create_engine
from skylight.kit.signals import Signals, announce
from skylight.webhooks import cache
from skylight.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import TenantFixture
from tests.sandbox_flows import eventually

pytestmark = pytest.mark.both_databases


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_remembered_until_the_ttl() -> None:
    clock = Clock()
    endpoints = cache.EndpointCache(clock)
    endpoints.put(1, [(7, '["*"]')], endpoints.generation)
    clock.now += cache.TTL_SECONDS - 0.1
    assert endpoints.get(1) == ((7, '["*"]'),)
    clock.now += 0.2
    assert endpoints.get(1) is None


def test_a_lookup_that_began_before_a_change_is_not_remembered() -> None:
    endpoints = cache.EndpointCache(Clock())
    began = endpoints.generation
    endpoints.forget(1)
    endpoints.put(1, [(7, '["*"]')], began)
    assert endpoints.get(1) is None


async def _endpoint(client: httpx.AsyncClient, tenant: TenantFixture) -> int:
    response = await client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    endpoint_id: int = response.json()["data"]["id"]
    return endpoint_id


async def _emit(db: Database, workspace_id: int) -> None:
    async with db.transaction() as session:
        await emit(session, workspace_id, "contact.created", {"id": 1})


async def _deliveries(db: Database, endpoint_id: int) -> int:
    async with db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
        )
    return int(count or 0)


async def test_endpoints_are_read_once_for_many_events(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    db: Database = app.state.db
    endpoint_id = await _endpoint(client, tenant)
    lookups: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM webhook_endpoints" in statement:
            lookups.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            await _emit(db, tenant.workspace_id)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert len(lookups) == 1
    assert await _deliveries(db, endpoint_id) == 3


async def test_an_endpoint_disabled_here_gets_nothing_more_at_once(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    db: Database = app.state.db
    endpoint_id = await _endpoint(client, tenant)
    await _emit(db, tenant.workspace_id)  # remembered now
    disabled = await client.patch(
        f"/api/v1/webhook-endpoints/{endpoint_id}", json={"enabled": False}, headers=tenant.headers
    )
    assert disabled.status_code == 200, disabled.text
    await _emit(db, tenant.workspace_id)
    assert await _deliveries(db, endpoint_id) == 1
    created = await _endpoint(client, tenant)
    await _emit(db, tenant.workspace_id)
    assert await _deliveries(db, created) == 1  # a new one gets the very next event


async def test_a_change_committed_by_another_process_is_heard(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        # Processes hear of each other's commits through PostgreSQL's NOTIFY; SQLite has none
        # between processes (there the TTL bounds it).
        pytest.skip("NOTIFY is PostgreSQL's")
    db: Database = app.state.db
    endpoint_id = await _endpoint(client, tenant)
    await _emit(db, tenant.workspace_id)
    assert cache.endpoints.remembers(tenant.workspace_id)
    other = Database(create_engine(database_url))
    Signals().install(other.session_class, other.engine)
    try:
        async with other.transaction() as session:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id)
                .values(enabled=False)
            )
            announce(session, cache.CHANNEL, str(tenant.workspace_id))
    finally:
        await other.dispose()
    heard = await eventually(
        lambda: _forgotten(tenant.workspace_id), lambda forgotten: forgotten, within=10
    )
    assert heard
    await _emit(db, tenant.workspace_id)
    assert await _deliveries(db, endpoint_id) == 1


async def _forgotten(workspace_id: int) -> bool:
    return not cache.endpoints.remembers(workspace_id)  # dropped, not merely expired
