from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.app import create_app
from skylight.kit.db import create_engine
from skylight.kit.migrations import upgrade
from skylight.kit.settings import Settings
from tests.databases import (
    PostgresUnavailable,
    fresh_postgres_database,
    postgres_required,
    sqlite_url,
)
from tests.factories import TenantFixture, make_tenant
from tests.processes import free_port
from tests.servers import serve_in_loop


@pytest.fixture(autouse=True)
def _no_unplanned_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may talk to loopback only; anything else is a bug in the test or the code."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            host = str(address[0])
            if not (host.startswith("127.") or host in {"::1", "localhost"}):
                raise RuntimeError(f"unplanned outbound connection to {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


# Fixtures that stand for "this run's database"; a test using one runs once per kind it needs.
DATABASE_FIXTURES = ("database_url", "campaign_database_url", "s3_database_url")


def database_kinds(node: pytest.Function | pytest.Item | None) -> list[str]:
    """SQLite for every test; PostgreSQL too where the database matters (repositories,
    migrations, concurrency, end-to-end flows): tests marked `both_databases`, or every test
    with SKYLIGHT_TEST_ALL_DATABASES=1."""
    everywhere = os.environ.get("SKYLIGHT_TEST_ALL_DATABASES", "") not in ("", "0")
    if everywhere or (node is not None and node.get_closest_marker("both_databases")):
        return ["sqlite", "postgres"]
    return ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name in DATABASE_FIXTURES:
        if name in metafunc.fixturenames:
            kinds = database_kinds(metafunc.definition)
            metafunc.parametrize(name, kinds, indirect=True, scope="session")


@pytest.fixture(scope="session")
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database of each kind; PostgreSQL is skipped only when not required."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("sqlite"))
        await _migrate(url)
        yield url
        return
    try:
        async with fresh_postgres_database() as url:
            await _migrate(url)
            yield url
    except PostgresUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CI=true) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    port = free_port()
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        # Sandbox mode (no DSN): the embedded simulator, sped up for tests.
        simulator_connect_delay_seconds=0.2,
        simulator_webhook_retry_base_seconds=0.05,
        # Our own webhook receivers in tests listen on loopback; retries are sped up.
        webhook_allow_private_urls=True,
        webhook_retry_schedule_seconds=[0.05, 0.1, 0.1, 0.2, 0.2, 0.3],
        # A received file's fetch is tried twice, then it is unavailable.
        files_fetch_retry_seconds=[0.05],
        # Tests run reconciliation themselves when they mean to: a periodic pass in the middle of
        # one (the session outlives the default 5 minutes) would settle its messages behind it.
        reconcile_interval_seconds=86400,
        # Every test calls from 127.0.0.1 with many keys; the rate-limit tests set their own.
        rate_limit_per_key="100000/minute",
        rate_limit_failed_auth_per_ip="100000/minute",
        # Many test processes share one PostgreSQL server (max_connections 100).
        database_pool_size=5,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app served on a real loopback port, so the simulator's webhooks reach it; tests may
    also call it in-process through `client`."""
    application = create_app(settings)
    async with serve_in_loop(application, settings.port):
        yield application


@pytest.fixture(scope="session")
def base_url(app: FastAPI, settings: Settings) -> str:
    return settings.resolved_public_url


@pytest.fixture(scope="session")
def sessionmaker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


@pytest.fixture
def quick_stream_checks(app: FastAPI) -> Iterator[float]:
    """Open event streams re-check their key or session every 0.2 s (30 s in production)."""
    original: Settings = app.state.settings
    app.state.settings = original.model_copy(update={"stream_recheck_seconds": 0.2})
    yield 0.2
    app.state.settings = original


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def tenant(sessionmaker: async_sessionmaker[AsyncSession]) -> TenantFixture:
    return await make_tenant(sessionmaker)


@pytest.fixture
async def other_tenant(sessionmaker: async_sessionmaker[AsyncSession]) -> TenantFixture:
    return await make_tenant(sessionmaker)
