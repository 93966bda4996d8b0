"""A slow webhook endpoint holds at most its workspace's share of the worker's slots: another
workspace's deliveries go out while it hangs, not after it times out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from skylight.events.service import emit
from skylight.kit.db import Database
from tests.events.receiver import Receiver
from tests.factories import TenantFixture
from tests.processes import free_port
from tests.sandbox_flows import eventually
from tests.servers import serve_in_loop

pytestmark = pytest.mark.both_databases


@dataclass
class Hanging:
    """Answers only when released: an endpoint that takes as long as the attempt's deadline."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0
    most: int = 0

    async def handle(self, request: Request) -> Response:
        await request.body()
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        return PlainTextResponse("ok")


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def hanging() -> AsyncIterator[tuple[Hanging, str]]:
    hook = Hanging()
    port = free_port()
    app = Starlette(routes=[Route("/hook", hook.handle, methods=["POST"])])
    async with serve_in_loop(app, port):
        try:
            yield hook, f"http://127.0.0.1:{port}/hook"
        finally:
            hook.release.set()


@pytest.fixture
async def fine() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    port = free_port()
    async with serve_in_loop(hook.app(), port):
        yield hook, f"http://127.0.0.1:{port}/hook"


async def _endpoint(client: httpx.AsyncClient, tenant: TenantFixture, url: str) -> None:
    response = await client.post(
        "/api/v1/webhook-endpoints",
        json={"url": url, "event_types": ["*"]},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text


async def test_a_slow_endpoint_cannot_delay_another_workspaces_deliveries(
    client: httpx.AsyncClient,
    db: Database,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    hanging: tuple[Hanging, str],
    fine: tuple[Receiver, str],
) -> None:
    slow, slow_url = hanging
    quick, quick_url = fine
    await _endpoint(client, tenant, slow_url)
    await _endpoint(client, other_tenant, quick_url)
    async with db.transaction() as session:
        for n in range(6):  # more than the worker's four slots
            await emit(session, tenant.workspace_id, "webhook_endpoint.test", {"n": n})
    await eventually(lambda: asyncio.sleep(0, slow.in_flight), lambda n: n >= 2)

    async with db.transaction() as session:
        await emit(session, other_tenant.workspace_id, "webhook_endpoint.test", {"n": 0})
    served = await eventually(lambda: asyncio.sleep(0, len(quick.requests)), bool, within=5)

    assert served == 1  # while the slow endpoint still holds its attempts
    assert slow.in_flight == 2
    assert slow.most == 2  # its workspace's share of the four slots, never more
