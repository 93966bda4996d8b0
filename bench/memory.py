"""Memory: the server's RSS after start-up, after a warm-up, and after N sends (SQLite, the
simulator in its own process so only our process is measured)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench import loadgen
from bench.databases import fresh_database
from bench.flows import api_client, connect_whatsapp, make_contacts
from bench.procs import rss_bytes, running, start_server, start_simulator

WARM_UP = 1000


@dataclass
class MemoryResult:
    database: str
    sends: int
    started: int
    warmed: int
    after: int
    stats: loadgen.Stats


async def memory(kind: str, work: Path, *, sends: int, concurrency: int) -> MemoryResult:
    async with fresh_database(kind, work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=False)
        with running(simulator.process):
            server = start_server(work / "server", url, simulator)
            with running(server.process):
                started = rss_bytes(server.process.pid)
                async with api_client(server.base_url, server.key) as client:
                    await connect_whatsapp(client)
                    contacts = await make_contacts(client, 100)

                def make(i: int) -> loadgen.Request:
                    body = {"contact_id": contacts[i % len(contacts)], "message": f"memory {i}"}
                    return loadgen.Request("POST", "/api/v1/messages/send", body)

                await loadgen.run(
                    server.base_url,
                    make,
                    concurrency=concurrency,
                    total=WARM_UP,
                    headers=server.headers,
                )
                warmed = rss_bytes(server.process.pid)
                stats = await loadgen.run(
                    server.base_url,
                    make,
                    concurrency=concurrency,
                    total=sends,
                    headers=server.headers,
                )
                after = rss_bytes(server.process.pid)
    return MemoryResult(kind, sends, started, warmed, after, stats)
