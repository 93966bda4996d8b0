"""Apps of their own for the operations tests: tuned settings, their own simulator, and where a
test compares totals, a database of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skylight.app import create_app
from skylight.kit.db import create_engine
from skylight.kit.migrations import upgrade
from skylight.kit.settings import Settings
from tests.databases import fresh_postgres_database, sqlite_url
from tests.processes import free_port
from tests.servers import serve_in_loop


async def migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def running_app(settings: Settings, data_dir: Path, **changes: Any) -> AsyncIterator[FastAPI]:
    """`settings` with `changes`, served on a free loopback port with its own data directory
    (so its own embedded simulator)."""
    port = free_port()
    tuned = settings.model_copy(
        update={
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "data_dir": data_dir,
            **changes,
        }
    )
    app = create_app(tuned)
    async with serve_in_loop(app, port):
        yield app


@asynccontextmanager
async def in_process(
    app: FastAPI, client_ip: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(client_ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def fresh_database_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, migrated database of the same kind as this run's `database_url`."""
    if database_url.startswith("sqlite"):
        url = sqlite_url(tmp_path)
        await migrate(url)
        yield url
        return
    async with fresh_postgres_database() as url:
        await migrate(url)
        yield url
