"""Campaign tests run against an app of their own: the same real parts as tests/conftest.py
(a migrated SQLite or PostgreSQL database, the embedded simulator over real HTTP, the app on a
loopback port, its in-process worker), with pacing sped up by configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.app import create_app
from skylight.kit.db import Database, create_engine
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

# Sends every 50 ms on WhatsApp and Instagram; Telegram stays slow (1 s) for the tests that
# must act while a campaign is still sending.
FAST = {
    "campaign_rate_whatsapp_per_minute": 1200.0,
    "campaign_rate_instagram_per_minute": 1200.0,
    "campaign_rate_telegram_per_minute": 60.0,
    "campaign_jitter": 0.2,
    "campaign_send_timeout_seconds": 3.0,
    "campaign_recheck_seconds": 0.5,
    "job_lease_seconds": 8.0,
    # Our test receivers listen on loopback.
    "webhook_allow_private_urls": True,
    "webhook_retry_schedule_seconds": [0.05, 0.1, 0.2],
}


async def migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def postgres_or_skip() -> AsyncIterator[str]:
    try:
        async with fresh_postgres_database() as url:
            await migrate(url)
            yield url
    except PostgresUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CI=true) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")


def fast_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    port = free_port()
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "port": port,
        "public_url": f"http://127.0.0.1:{port}",
        "simulator_connect_delay_seconds": 0.2,
        "simulator_webhook_retry_base_seconds": 0.05,
        **FAST,
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with serve_in_loop(application, settings.port):
        yield application


@pytest.fixture(scope="session")
async def campaign_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("campaigns-sqlite"))
        await migrate(url)
        yield url
        return
    async with postgres_or_skip() as url:
        yield url


@pytest.fixture(scope="session")
def campaign_settings(
    campaign_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return fast_settings(campaign_database_url, tmp_path_factory.mktemp("campaigns-data"))


@pytest.fixture(scope="session")
async def campaign_app(campaign_settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(campaign_settings) as application:
        yield application


@pytest.fixture
def db(campaign_app: FastAPI) -> Database:
    database: Database = campaign_app.state.db
    return database


@pytest.fixture
async def client(campaign_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=campaign_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def tenant(campaign_app: FastAPI) -> TenantFixture:
    maker: async_sessionmaker[AsyncSession] = campaign_app.state.sessionmaker
    return await make_tenant(maker)


@pytest.fixture
async def other_tenant(campaign_app: FastAPI) -> TenantFixture:
    maker: async_sessionmaker[AsyncSession] = campaign_app.state.sessionmaker
    return await make_tenant(maker)
