"""/healthz and /readyz: unauthenticated, in the envelope, 503 naming what is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from skylight.kit.settings import Settings
from tests.databases import (
    PostgresUnavailable,
    fresh_postgres_database,
    postgres_admin_url,
    postgres_required,
)
from tests.ops.conftest import in_process, migrate, running_app
from tests.sandbox_flows import eventually


async def test_healthz_is_ok_without_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"status": "ok"}}


async def test_readyz_reports_each_dependency(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    workers = body["data"].pop("workers")
    assert body == {
        "success": True,
        "data": {
            "database": "ok",
            "migrations": "ok",
            "unipile": "ok",
            "unipile_webhooks": "ok",
            "background": "ok",
        },
    }
    # The app's own in-process worker beats.
    assert workers["alive"] >= 1
    assert workers["overdue_jobs"] == 0
    assert workers["last_heartbeat_seconds"] is not None


async def test_readyz_is_503_naming_unipile_while_it_fails(
    settings: Settings, tmp_path: Path
) -> None:
    async with (
        running_app(settings, tmp_path, readiness_cache_seconds=0) as app,
        in_process(app) as client,
    ):
        assert (await client.get("/readyz")).status_code == 200
        # Unipile itself down: the simulator's global faults (a workspace's own faults,
        # POST /sandbox/faults, touch only that workspace's calls).
        await app.state.simulator.set_faults(error_rate=1.0)
        down = await client.get("/readyz")
        await app.state.simulator.set_faults()
        back = await client.get("/readyz")

    assert down.status_code == 503
    body = down.json()
    assert body["success"] is False
    assert body["message"] == "Not ready: unipile."
    assert body["data"] == {
        "database": "ok",
        "migrations": "ok",
        "unipile": "down",
        "unipile_webhooks": "ok",  # registered at start-up, before the faults
        "background": "ok",
        "workers": body["data"]["workers"],
    }
    assert list(body["errors"]) == ["unipile"]
    assert back.status_code == 200


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


async def _allow_connections(url: str, allowed: bool) -> None:
    """Close the database to new connections and end the open ones, or open it again; the
    server itself keeps running for everyone else."""
    name = make_url(url).database
    admin = create_async_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {allowed}'))
            if not allowed:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
    finally:
        await admin.dispose()


async def test_readyz_turns_503_while_postgresql_refuses_and_ready_when_it_returns(
    own_postgres: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=own_postgres, simulator_connect_delay_seconds=0.2)
    async with (
        running_app(settings, tmp_path) as app,
        in_process(app) as client,
    ):
        assert (await client.get("/readyz")).status_code == 200

        await _allow_connections(own_postgres, False)
        try:
            down = await client.get("/readyz")
            health_meanwhile = await client.get("/healthz")
        finally:
            await _allow_connections(own_postgres, True)

        async def ready() -> httpx.Response:
            return await client.get("/readyz")

        back = await eventually(ready, lambda r: r.status_code == 200)

    assert down.status_code == 503
    body = down.json()
    assert body["success"] is False
    assert body["message"] == "Not ready: database."
    assert body["data"]["database"] == "down"
    assert body["data"]["migrations"] == "unknown"
    assert body["data"]["unipile"] == "ok"
    assert health_meanwhile.status_code == 200
    back_data = back.json()["data"]
    back_data.pop("workers")
    assert back_data == {
        "database": "ok",
        "migrations": "ok",
        "unipile": "ok",
        "unipile_webhooks": "ok",
        "background": "ok",
    }
