"""Real `skylight serve` processes: one rate-limit budget across processes through Redis, JSON
logs and graceful shutdown, and `--workers N` with metrics added up over the workers."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio

from skylight.kit.db import create_engine, create_sessionmaker
from tests.databases import postgres_required
from tests.factories import TenantFixture, make_tenant
from tests.ops.servers import skylight, stop
from tests.processes import free_port, run_cli, skylight_env

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]

REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (redis.RedisError, OSError) as exc:
        await client.aclose()
        if postgres_required():  # CI=true: Redis is part of the environment, like PostgreSQL
            pytest.fail(f"Redis is required (CI=true) but unreachable: {exc}")
        pytest.skip(f"no Redis server: {exc}")
    prefix = f"skylight-test-{secrets.token_hex(4)}"
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def two_tenants(fresh_database_url: str) -> tuple[TenantFixture, TenantFixture]:
    engine = create_engine(fresh_database_url)
    try:
        maker = create_sessionmaker(engine)
        return await make_tenant(maker), await make_tenant(maker)
    finally:
        await engine.dispose()


async def test_two_processes_share_one_budget_per_key_through_redis(
    fresh_database_url: str,
    two_tenants: tuple[TenantFixture, TenantFixture],
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    tenant, other_tenant = two_tenants

    def env(name: str) -> dict[str, str]:
        return skylight_env(
            tmp_path / name,
            fresh_database_url,
            SKYLIGHT_REDIS_URL=REDIS_URL,
            SKYLIGHT_REDIS_KEY_PREFIX=redis_prefix,
            SKYLIGHT_RATE_LIMIT_PER_KEY="5/hour",
        )

    async with (
        skylight(env("a"), tmp_path / "logs-a", "serve", "--no-migrate") as a,
        skylight(env("b"), tmp_path / "logs-b", "serve", "--no-migrate") as b,
        httpx.AsyncClient(timeout=10) as http,
    ):

        async def contacts(base: str, who: TenantFixture) -> httpx.Response:
            return await http.get(f"{base}/api/v1/contacts", headers=who.headers)

        spent = [await contacts(base, tenant) for base in (a.base, b.base, a.base, b.base, a.base)]
        refused_b = await contacts(b.base, tenant)
        refused_a = await contacts(a.base, tenant)
        other = [await contacts(base, other_tenant) for base in (a.base, b.base)]

    assert [r.status_code for r in spent] == [200] * 5
    assert [r.headers["RateLimit-Remaining"] for r in spent] == ["4", "3", "2", "1", "0"]
    for refused in (refused_b, refused_a):
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        assert refused.headers["RateLimit-Limit"] == "5"
        assert refused.json()["success"] is False
    assert [r.status_code for r in other] == [200, 200]
    assert [r.headers["RateLimit-Remaining"] for r in other] == ["4", "3"]


async def test_production_logs_are_json_lines_and_sigterm_lets_a_request_finish(
    tmp_path: Path,
) -> None:
    env = skylight_env(tmp_path / "data", SKYLIGHT_ENVIRONMENT="production")
    async with (
        skylight(env, tmp_path / "logs", "serve", "--bootstrap") as server,
        httpx.AsyncClient(base_url=server.base, timeout=30) as http,
    ):
        key = next(w for w in server.stdout.read_text().split() if w.startswith("sk_test_"))
        headers = {"X-Api-Key": key}
        ok = await http.get("/api/v1/contacts", headers={**headers, "X-Request-Id": "trace-4242"})
        refused = await http.get("/api/v1/contacts", headers={"X-Api-Key": key + "x"})
        slow = await http.post("/api/v1/sandbox/faults", json={"latency_ms": 5000}, headers=headers)
        assert slow.status_code == 200

        # A request that waits on (slowed) Unipile is in flight when SIGTERM arrives.
        in_flight = asyncio.create_task(
            http.post("/api/v1/channels/whatsapp/connect", headers=headers)
        )
        await asyncio.sleep(2.0)  # ordering only: let it reach the server first
        server.popen.send_signal(signal.SIGTERM)
        finished = await in_flight
        code = await stop(server)

    assert ok.status_code == 200
    assert refused.status_code == 401
    assert finished.status_code == 200, finished.text
    assert code == -signal.SIGTERM  # uvicorn re-raises the signal once shut down cleanly

    lines = [json.loads(line) for line in server.stderr.read_text().splitlines()]
    messages = [line["message"] for line in lines]
    assert "Application shutdown complete." in messages
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
    access = {line["request_id"]: line for line in lines if line["logger"] == "skylight.access"}
    assert access["trace-4242"]["status"] == 200
    assert access["trace-4242"]["workspace_id"] == 1
    assert access[refused.headers["X-Request-Id"]]["status"] == 401
    assert access[finished.headers["X-Request-Id"]]["path"] == "/api/v1/channels/whatsapp/connect"
    assert key not in server.stderr.read_text()


async def test_workers_need_a_shared_unipile(tmp_path: Path) -> None:
    refused = await asyncio.to_thread(run_cli, skylight_env(tmp_path), "serve", "--workers", "2")
    assert refused.returncode == 2
    assert "SKYLIGHT_UNIPILE_DSN" in refused.stderr


async def test_several_workers_serve_one_port_and_add_up_their_metrics(tmp_path: Path) -> None:
    sim_port, sim_key, token = free_port(), secrets.token_urlsafe(16), "workers-metrics-token"
    sim_env = skylight_env(tmp_path / "sim", SKYLIGHT_UNIPILE_API_KEY=sim_key)
    env = skylight_env(
        tmp_path / "data",
        SKYLIGHT_UNIPILE_DSN=f"http://127.0.0.1:{sim_port}",
        SKYLIGHT_UNIPILE_API_KEY=sim_key,
        SKYLIGHT_SANDBOX="true",
        SKYLIGHT_METRICS_TOKEN=token,
        SKYLIGHT_LOG_FORMAT="json",
    )
    sim_args = ("simulator", "--data-dir", str(tmp_path / "sim"))
    scrape = {"Authorization": f"Bearer {token}"}
    async with (
        skylight(sim_env, tmp_path / "logs-sim", *sim_args, port=sim_port),
        skylight(env, tmp_path / "logs", "serve", "--workers", "2") as server,
    ):
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
            ready = await http.get("/readyz")
        # New connections each time, so the kernel may hand them to either worker.
        for _ in range(20):
            async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
                assert (await http.get("/api/v1/contacts")).status_code == 401
        scrapes = []
        for _ in range(4):
            async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
                scrapes.append(await http.get("/metrics", headers=scrape))
        code = await stop(server)

    assert ready.status_code == 200, ready.text
    lines = [json.loads(line) for line in server.stderr.read_text().splitlines()]
    messages = [line["message"] for line in lines]
    started = {m for m in messages if m.startswith("Started server process")}
    assert len(started) == 2, started  # two worker processes
    counted = 'skylight_http_requests_total{method="GET",route="/api/v1/contacts",status="401"}'
    for answer in scrapes:
        assert answer.status_code == 200
        assert f"{counted} 20.0" in answer.text.splitlines()
    assert code is not None
    assert messages.count("Application shutdown complete.") == 2
