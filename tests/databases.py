"""Test databases: a fresh SQLite file, and a fresh PostgreSQL database when a server answers.

With CI=true the PostgreSQL run is mandatory: failing to connect fails the run loudly."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class PostgresUnavailable(Exception):
    pass


def postgres_admin_url() -> str:
    return os.environ.get("SKYLIGHT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"} or bool(
        os.environ.get("SKYLIGHT_TEST_POSTGRES_URL")
    )


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'skylight-test.db'}"


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create an empty database on the server, yield its URL, drop it afterwards."""
    admin_url = make_url(postgres_admin_url())
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"skylight_test_{secrets.token_hex(4)}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (OSError, Exception) as exc:
        await admin.dispose()
        raise PostgresUnavailable(f"{admin_url.render_as_string()}: {exc}") from exc
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
