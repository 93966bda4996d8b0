"""`skylight worker` exits 0 when told to stop, and non-zero when its background work cannot
recover (so systemd's Restart=on-failure starts a fresh one)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from skylight.cli.worker import run_worker
from skylight.kit.settings import Settings
from tests.databases import sqlite_url
from tests.ops.conftest import migrate
from tests.processes import free_port


async def test_the_worker_exits_non_zero_when_its_database_never_answers(tmp_path: Path) -> None:
    # Nothing listens on this port: every claim and heartbeat fails.
    settings = Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/skylight",
        data_dir=tmp_path,
        worker_give_up_seconds=0.3,
    )
    stop = asyncio.Event()
    code = await asyncio.wait_for(run_worker(settings, stop), 30)
    assert code == 1
    assert not stop.is_set()


async def test_the_worker_exits_zero_when_stopped(tmp_path: Path) -> None:
    # A database of its own: a second engine on the session's live SQLite file in this process
    # would drop that file's POSIX locks (SQLite's documented pitfall).
    url = sqlite_url(tmp_path)
    await migrate(url)
    settings = Settings(database_url=url, data_dir=tmp_path)
    stop = asyncio.Event()
    stop.set()  # as a SIGTERM right after start-up
    assert await asyncio.wait_for(run_worker(settings, stop), 30) == 0
