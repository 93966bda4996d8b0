"""Fresh databases for a bench run: a SQLite file, or a new PostgreSQL database dropped after."""

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
KINDS = ("sqlite", "postgres")


def postgres_admin_url() -> str:
    return os.environ.get("SKYLIGHT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def sqlite_url(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{directory.resolve() / 'skylight.db'}"


@asynccontextmanager
async def fresh_database(kind: str, directory: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield sqlite_url(directory)
        return
    admin_url = make_url(postgres_admin_url())
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"skylight_bench_{secrets.token_hex(4)}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def postgres_version() -> str:
    admin = create_async_engine(postgres_admin_url())
    try:
        async with admin.connect() as conn:
            version = await conn.scalar(text("SHOW server_version"))
            return str(version)
    finally:
        await admin.dispose()
