"""Bulk contact import: one `skylight serve` process imports a CSV of N rows (100,000 by
default) through POST /api/v1/contacts/imports, then the same file again (every row an existing
contact: the upsert path, nothing created).

Measured from outside: rows per second from the upload's start to the import's `completed`
(upload, queue wait and every batch), and the server's RSS sampled every 50 ms from just before
the upload to the end; the growth is the peak over the RSS before the upload (after a 1,000-row
warm-up import, so first-use costs are not counted)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.databases import fresh_database
from bench.flows import api_client
from bench.procs import rss_bytes, running, start_server, start_simulator

WARM_UP = 1000
SAMPLE_SECONDS = 0.05


@dataclass
class ImportRun:
    rows: int
    seconds: float
    upload_seconds: float
    created: int
    updated: int
    skipped: int
    rss_before: int
    rss_peak: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def growth(self) -> int:
        return self.rss_peak - self.rss_before


@dataclass
class ImportResult:
    database: str
    first: ImportRun
    again: ImportRun
    errors: list[str] = field(default_factory=list)


def customer_csv(rows: int, start: int = 0) -> bytes:
    """A CRM's export: a header in its own case, Arabic and Latin names, valid E.164 phones
    (distinct for i < 10**7)."""
    lines = ["Name,Channel,Phone,Username,Notes"]
    for i in range(start, start + rows):
        name = f"عميل رقم {i}" if i % 2 else f"Customer number {i}"
        lines.append(f'"{name}",whatsapp,+96656{i:07d},,"row {i}"')
    return ("\n".join(lines) + "\n").encode()


class Sampler:
    """The peak RSS of a process while it runs, read from /proc every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_bytes(self.pid))
            await asyncio.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> Sampler:
        self.peak = rss_bytes(self.pid)
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, rss_bytes(self.pid))


async def _import(client: httpx.AsyncClient, pid: int, body: bytes, rows: int) -> ImportRun:
    before = rss_bytes(pid)
    with Sampler(pid) as sampler:
        started = time.monotonic()
        response = await client.post(
            "/api/v1/contacts/imports", files={"file": ("customers.csv", body, "text/csv")}
        )
        uploaded = time.monotonic() - started
        if response.status_code != 202:
            raise RuntimeError(f"upload: {response.status_code} {response.text[:500]}")
        import_id = response.json()["data"]["id"]
        while True:
            state: dict[str, Any] = (
                await client.get(f"/api/v1/contacts/imports/{import_id}")
            ).json()["data"]
            if state["state"] in ("completed", "failed"):
                break
            await asyncio.sleep(0.1)
        seconds = time.monotonic() - started
    if state["state"] != "completed" or state["processed"] != rows:
        raise RuntimeError(f"import {import_id} ended {state}")
    return ImportRun(
        rows,
        seconds,
        uploaded,
        state["created"],
        state["updated"],
        state["skipped"],
        before,
        sampler.peak,
    )


async def contacts_import(kind: str, work: Path, *, rows: int) -> ImportResult:
    body = customer_csv(rows)
    async with fresh_database(kind, work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=False)
        with running(simulator.process):
            server = start_server(work / "server", url, simulator)
            with running(server.process):
                pid = server.process.pid
                async with api_client(server.base_url, server.key, timeout=120) as client:
                    await _import(client, pid, customer_csv(WARM_UP, start=rows), WARM_UP)
                    first = await _import(client, pid, body, rows)
                    again = await _import(client, pid, body, rows)
    errors = []
    if (first.created, first.skipped) != (rows, 0):
        errors.append(f"{kind}: first import {first}")
    if (again.created, again.updated) != (0, rows):
        errors.append(f"{kind}: second import {again}")
    return ImportResult(kind, first, again, errors)
