"""A database failover, as an operator would see it: a real `skylight serve` on a PostgreSQL
database of the test's own, which refuses connections (ALLOW_CONNECTIONS false, every backend
terminated) for several seconds while a campaign sends and webhooks go out, then comes back.

Afterwards every webhook delivery goes out (once), the campaign completes having messaged each
recipient once, and /readyz answered 503 while the work was stuck, all without a restart."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skylight.kit.db import create_engine, create_sessionmaker
from tests.campaigns.flows import assert_each_once, phone
from tests.databases import (
    PostgresUnavailable,
    fresh_postgres_database,
    postgres_required,
)
from tests.events.receiver import Receiver
from tests.factories import TenantFixture, make_tenant
from tests.ops.conftest import migrate
from tests.ops.servers import skylight
from tests.ops.test_health import _allow_connections
from tests.processes import free_port, skylight_env
from tests.sandbox_flows import eventually
from tests.servers import serve_in_loop

pytestmark = pytest.mark.slow

RECIPIENTS = 24
OUTAGE_SECONDS = 8.0


@pytest.fixture
async def own_postgres() -> AsyncIterator[str]:
    try:
        async with fresh_postgres_database() as url:
            await migrate(url)
            yield url
    except PostgresUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CI=true) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    port = free_port()
    async with serve_in_loop(hook.app(), port):
        yield hook, f"http://127.0.0.1:{port}/hook"


async def _tenant(url: str) -> TenantFixture:
    engine = create_engine(url)
    try:
        return await make_tenant(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _outage(api: httpx.AsyncClient, url: str) -> list[tuple[int, dict[str, Any]]]:
    """Close the database for OUTAGE_SECONDS; what /readyz answered meanwhile."""
    answers: list[tuple[int, dict[str, Any]]] = []
    await _allow_connections(url, False)
    try:
        ends = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < ends:
            ready = await api.get("/readyz")
            answers.append((ready.status_code, ready.json()))
            await asyncio.sleep(0.25)  # the probe's own pace, as a load balancer's
    finally:
        await _allow_connections(url, True)
    return answers


async def test_work_in_flight_survives_the_database_refusing_connections(
    own_postgres: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    hook, hook_url = receiver
    tenant = await _tenant(own_postgres)
    env = skylight_env(
        tmp_path / "server",
        own_postgres,
        SKYLIGHT_RATE_LIMIT_PER_KEY="100000/minute",
        SKYLIGHT_SIMULATOR_CONNECT_DELAY_SECONDS="0.2",
        SKYLIGHT_SIMULATOR_WEBHOOK_RETRY_BASE_SECONDS="0.2",
        # Four sends a second: the campaign is mid-way when the database goes.
        SKYLIGHT_CAMPAIGN_RATE_WHATSAPP_PER_MINUTE="240",
        SKYLIGHT_CAMPAIGN_JITTER="0",
        SKYLIGHT_CAMPAIGN_SEND_TIMEOUT_SECONDS="3",
        SKYLIGHT_JOB_LEASE_SECONDS="20",
        SKYLIGHT_JOB_STALL_SECONDS="2",
        SKYLIGHT_READINESS_CACHE_SECONDS="0",
        SKYLIGHT_READINESS_TIMEOUT_SECONDS="1",
        SKYLIGHT_WEBHOOK_ALLOW_PRIVATE_URLS="true",
        SKYLIGHT_WEBHOOK_RETRY_SCHEDULE_SECONDS="[0.2, 0.5, 1, 2, 3, 5]",
    )
    async with (
        skylight(env, tmp_path / "logs", "serve", "--no-migrate") as server,
        httpx.AsyncClient(base_url=server.base, timeout=30, headers=tenant.headers) as api,
    ):
        await _ok(
            await api.post(
                "/api/v1/webhook-endpoints", json={"url": hook_url, "event_types": ["*"]}
            ),
            201,
        )
        account = (await _ok(await api.post("/api/v1/channels/whatsapp/connect")))["data"]
        await _ok(
            await api.post(
                f"/api/v1/sandbox/accounts/{account['account_id']}/scan",
                json={"username": "+966500000777"},
            )
        )

        async def connected() -> bool:
            status = await api.get(
                "/api/v1/channels/whatsapp/status", params={"account_id": account["account_id"]}
            )
            return bool(status.json()["data"]["completed"])

        assert await eventually(connected, bool, within=30)
        ids = []
        for n in range(RECIPIENTS):
            body = {"name": f"Guest {n}", "channel": "whatsapp", "phone": phone(700 + n)}
            ids.append(
                (await _ok(await api.post("/api/v1/contacts", json=body), 201))["data"]["id"]
            )
        campaign = (
            await _ok(
                await api.post(
                    "/api/v1/campaigns",
                    json={
                        "name": "Through a failover",
                        "channel": "whatsapp",
                        "message": "Hi {{name}}",
                        "contact_ids": ids,
                    },
                ),
                201,
            )
        )["data"]
        await _ok(await api.post(f"/api/v1/campaigns/{campaign['id']}/start"))

        async def progress() -> dict[str, Any]:
            body = await _ok(await api.get(f"/api/v1/campaigns/{campaign['id']}"))
            data: dict[str, Any] = body["data"]
            return data

        mid_way = await eventually(progress, lambda c: c["progress"]["sent"] >= 4, within=30)
        assert mid_way["state"] == "running"

        during = await _outage(api, own_postgres)

        final = await eventually(progress, lambda c: c["state"] == "completed", within=120)
        ready_again = await eventually(
            lambda: api.get("/readyz"), lambda r: r.status_code == 200, within=30
        )
        sent = (await _ok(await api.get("/api/v1/sandbox/sent")))["data"]

        async def all_events() -> list[str]:
            found: list[str] = []
            after = None
            while True:
                params: dict[str, Any] = {"limit": 100}
                if after:
                    params["after"] = after
                page = await _ok(await api.get("/api/v1/events", params=params))
                found += [e["id"] for e in page["data"]]
                if not page["meta"]["has_more"]:
                    return found
                after = page["meta"]["next_cursor"]

        events = await all_events()
        delivered = await eventually(
            lambda: asyncio.sleep(0, [json.loads(body)["id"] for _h, body in hook.requests]),
            lambda got: set(events) <= set(got),
            within=60,
        )

    # The work was stuck, and /readyz said so, naming the database.
    assert during, "no probe during the outage"
    assert all(status == 503 for status, _ in during), during
    assert all("database" in body["errors"] for _, body in during)
    assert ready_again.json()["data"]["background"] == "ok", ready_again.text
    # The campaign finished on its own: every recipient messaged exactly once.
    assert final["progress"] == {
        "total": RECIPIENTS, "pending": 0, "sent": RECIPIENTS, "failed": 0, "skipped": 0
    }  # fmt: skip
    assert_each_once(sent, RECIPIENTS)
    # Every event went out to the endpoint, none twice.
    assert set(events) <= set(delivered)
    assert max(Counter(delivered).values()) == 1, Counter(delivered).most_common(3)
    assert "campaign.completed" in {json.loads(body)["type"] for _h, body in hook.requests}
