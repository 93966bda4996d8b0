"""Real `skylight serve` processes for the attacks: one per module, started once. What the
attacker controls (webhook receivers, raw sockets) runs in the test process."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.apikeys.service import KeyMode, create_key
from skylight.kit.db import create_engine, create_sessionmaker, transaction
from skylight.workspaces.service import create_workspace
from tests.factories import TenantFixture
from tests.ops.servers import Process, skylight
from tests.processes import free_port, skylight_env

MB = 1024 * 1024
UNIPILE_SECRET = "unipile-webhook-secret-for-the-security-suite"


@dataclass
class Target:
    """A running server under attack, and what the test knows of it."""

    process: Process
    database_url: str
    data_dir: Path
    tenants: list[TenantFixture]

    @property
    def base(self) -> str:
        return self.process.base

    @property
    def pid(self) -> int:
        return self.process.popen.pid

    def client(self, **options: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=30, **options)  # type: ignore[arg-type]


async def _tenant(maker: async_sessionmaker[AsyncSession], mode: KeyMode) -> TenantFixture:
    async with transaction(maker) as session:
        workspace = await create_workspace(session, f"Tenant {secrets.token_hex(3)}")
        created = await create_key(session, workspace, "attack", mode)
        return TenantFixture(workspace_id=workspace.id, slug=workspace.slug, key=created.secret)


@asynccontextmanager
async def target(
    tmp: Path, database_url: str | None, *, tenants: int, mode: KeyMode, **env: str
) -> AsyncIterator[Target]:
    """`skylight serve` on `database_url` (SQLite in its data folder if None); it migrates the
    database, then `tenants` workspaces are made in it, each with a key of `mode`."""
    data_dir = tmp / "data"  # made by the server: its mode is part of what is checked
    port = free_port()
    settings = skylight_env(
        data_dir,
        database_url,
        SKYLIGHT_PUBLIC_URL=f"http://127.0.0.1:{port}",
        SKYLIGHT_UNIPILE_WEBHOOK_SECRET=UNIPILE_SECRET,
        SKYLIGHT_STREAM_RECHECK_SECONDS="0.5",
        SKYLIGHT_RATE_LIMIT_PER_KEY="100000/minute",
        **env,
    )
    url = database_url or f"sqlite+aiosqlite:///{data_dir / 'skylight.db'}"
    async with skylight(settings, tmp / "logs", "serve", port=port) as process:
        # Another process than the server's: SQLite is shared by processes as usual.
        engine = create_engine(url)
        try:
            maker = create_sessionmaker(engine)
            made = [await _tenant(maker, mode) for _ in range(tenants)]
        finally:
            await engine.dispose()
        yield Target(process, url, data_dir, made)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc (what the kernel charges it)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


class PeakRss:
    """Samples a process's RSS every few milliseconds, in a thread (the event loop is busy
    attacking), from entering the block to leaving it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.baseline = rss_bytes(pid)
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes(self.pid))

    @property
    def growth(self) -> int:
        return self.peak - self.baseline

    async def __aenter__(self) -> PeakRss:
        self._thread.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        await asyncio.to_thread(self._thread.join)
