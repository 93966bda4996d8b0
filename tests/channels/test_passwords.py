"""Instagram passwords are never stored and never logged, whatever path the connect takes."""

from __future__ import annotations

import asyncio
import logging
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.kit.settings import Settings
from skylight.models import Base
from tests.channels.helpers import API, connect_instagram, solve_2fa
from tests.factories import TenantFixture


async def database_text(maker: async_sessionmaker[AsyncSession]) -> list[str]:
    """Every value of every row of every table, as text."""
    values: list[str] = []
    async with maker() as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                values.extend(str(value) for value in row)
    return values


async def file_contains(path: Path, needle: bytes) -> bool:
    """Search a live SQLite file from ANOTHER process. Opening and closing it here would drop
    every POSIX lock this process holds on it (SQLite's own locks included) and corrupt the
    database under the running app."""
    script = (
        "import sys; sys.exit(0 if sys.argv[2].encode() in open(sys.argv[1], 'rb').read() else 1)"
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script, str(path), needle.decode()],
        check=False,
        timeout=30,
    )
    return result.returncode == 0


def files_of(path: Path) -> list[Path]:
    """A SQLite database and its WAL and shared-memory files, where they exist."""
    candidates = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return [p for p in candidates if p.exists()]


async def test_the_password_is_nowhere(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def other_faults(**body: float) -> None:
        answer = await client.post(
            "/api/v1/sandbox/faults", json=body, headers=other_tenant.headers
        )
        assert answer.status_code == 200, answer.text

    caplog.set_level(logging.DEBUG)
    password = f"Pw-{secrets.token_hex(8)}-distinctive"
    responses: list[httpx.Response] = []
    # Connected at once; a 2FA round (kept connected, so the search below has a row to find);
    # a 422 from our validation; a 502 from Unipile.
    responses.append(await connect_instagram(client, tenant, username="ig_pw", password=password))
    assert responses[-1].status_code == 200
    disconnect = await client.post(f"{API}/channels/instagram/disconnect", headers=tenant.headers)
    assert disconnect.status_code == 204
    responses.append(await connect_instagram(client, tenant, username="2fa_pw", password=password))
    assert responses[-1].status_code == 200
    responses.append(await solve_2fa(client, tenant, responses[-1].json()["data"]["account_id"]))
    assert responses[-1].status_code == 200
    other = await client.post(
        f"{API}/channels/instagram/connect",
        json={"username": "ig_pw", "password": password, "country": "XX"},
        headers=tenant.headers,
    )
    assert other.status_code == 422
    responses.append(other)
    # Faults are per workspace: the other workspace's Unipile fails, not ours.
    await other_faults(error_rate=1.0)
    responses.append(
        await connect_instagram(client, other_tenant, username="ig_pw", password=password)
    )
    assert responses[-1].status_code in (502, 503)
    await other_faults()

    for response in responses:
        assert password not in response.text
    stored = await database_text(sessionmaker)
    # The search does see what we store (the username), so not finding the password means it.
    assert "2fa_pw" in stored
    assert not [value for value in stored if password in value]
    assert caplog.records, "expected the flows above to log something at DEBUG"
    assert password not in caplog.text
    for record in caplog.records:
        assert password not in record.getMessage()
        assert password not in repr(record.args)
    needle = password.encode()
    stores = files_of(Path(settings.data_dir) / "unipile-simulator.db")
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        stores += files_of(Path(url.database))
    assert stores
    assert any([await file_contains(path, b"2fa_pw") for path in stores])
    for path in stores:
        assert not await file_contains(path, needle), path
