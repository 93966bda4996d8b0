"""Scale-out on PostgreSQL: sends through one `skylight serve` process, through
`serve --workers 2`, and through two `skylight serve` processes (the clients split between
them), for sends spread over 8 workspaces and for sends of one workspace. Against the fake
Unipile, medians of the repetitions with [min-max], server CPU per request (all processes)."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import loadgen
from bench.cpu import tree_cpu_seconds
from bench.databases import fresh_database
from bench.flows import api_client, connect_whatsapp, make_contacts, send
from bench.procs import (
    Server,
    Simulator,
    running,
    start_fake_unipile,
    start_server,
    start_simulator,
)
from bench.profile import Recording
from skylight.apikeys.service import create_key
from skylight.kit.db import Database, create_engine
from skylight.workspaces.service import create_workspace

WORKSPACES = 8
CONTACTS_EACH = 8
LAYOUTS = ("1 process", "serve --workers 2", "2 processes")


@dataclass
class ScaleResult:
    layout: str
    spread: str  # "8 workspaces" or "1 workspace"
    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


@dataclass
class Tenant:
    key: str
    contacts: list[int]


async def _tenants(url: str, server: Server) -> list[Tenant]:
    """The bootstrap workspace and 7 more, each with a connected WhatsApp and its contacts,
    each contact's chat started."""
    db = Database(create_engine(url))
    keys = [server.key]
    try:
        for n in range(1, WORKSPACES):
            async with db.transaction() as session:
                workspace = await create_workspace(session, f"Bench {n}")
                keys.append((await create_key(session, workspace, "bench", "test")).secret)
    finally:
        await db.dispose()
    tenants = []
    for n, key in enumerate(keys):
        async with api_client(server.base_url, key) as client:
            await connect_whatsapp(client, phone=f"+96659{n:07d}")
            contacts = await make_contacts(client, CONTACTS_EACH, first=1 + n * CONTACTS_EACH)
            for contact in contacts:
                response = await send(client, contact, "hello")
                assert response.status_code == 201, response.text
        tenants.append(Tenant(key, contacts))
    return tenants


def _requests(tenants: list[Tenant], run: str) -> Callable[[int], loadgen.Request]:
    targets = [(t.key, c) for t in tenants for c in t.contacts]

    def make(i: int) -> loadgen.Request:
        key, contact = targets[i % len(targets)]
        body = {"contact_id": contact, "message": f"{run} {i}"}
        headers = (("Authorization", f"Bearer {key}"),)
        return loadgen.Request("POST", "/api/v1/messages/send", body, headers)

    return make


async def _measure(
    servers: list[Server], make: Callable[[int], loadgen.Request], *, total: int, concurrency: int
) -> tuple[float, float]:
    """Requests/s through all the servers at once (the clients split between them), and CPU
    ms per request of all their processes."""
    pids = [s.process.pid for s in servers]
    before = sum(tree_cpu_seconds(pid) for pid in pids)
    share = total // len(servers)
    runs = await asyncio.gather(
        *(
            loadgen.run(s.base_url, make, concurrency=concurrency // len(servers), total=share)
            for s in servers
        )
    )
    cpu = sum(tree_cpu_seconds(pid) for pid in pids) - before
    done = sum(r.count for r in runs)
    errors = [e for r in runs for e in r.errors]
    if errors:
        raise RuntimeError(f"scale-out sends failed: {errors[:3]}")
    return done / max(r.elapsed for r in runs), cpu / done * 1000


async def scale_out(
    work: Path, *, requests: int, repeats: int, concurrency: int, profile: Path | None = None
) -> list[ScaleResult]:
    results = {
        (layout, spread): ScaleResult(layout, spread)
        for layout in LAYOUTS
        for spread in ("8 workspaces", "1 workspace")
    }
    async with fresh_database("postgres", work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=False)
        with running(simulator.process):
            fake = start_fake_unipile(simulator, work / "fake")
            with running(fake.process):
                first = start_server(work / "setup", url, fake)
                with running(first.process):
                    tenants = await _tenants(url, first)
                for layout in LAYOUTS:
                    servers = _start(layout, work, url, fake, first.key)
                    with running(*(s.process for s in servers)):
                        for spread, chosen in (
                            ("8 workspaces", tenants),
                            ("1 workspace", tenants[:1]),
                        ):
                            make = _requests(chosen, f"{layout}-{spread}")
                            warm = concurrency * 4
                            await _measure(servers, make, total=warm, concurrency=concurrency)
                            for rep in range(repeats):
                                recording = None
                                if profile is not None and rep == 0:
                                    raw = profile / f"scale-{layout}-{spread}.txt".replace(" ", "-")
                                    recording = Recording(servers[0].process.pid, raw)
                                    await asyncio.sleep(1.0)
                                rate, cpu = await _measure(
                                    servers, make, total=requests, concurrency=concurrency
                                )
                                if recording is not None:
                                    recording.stop()
                                results[(layout, spread)].rates.append(rate)
                                results[(layout, spread)].cpu_ms.append(cpu)
    return list(results.values())


def _start(layout: str, work: Path, url: str, fake: Simulator, key: str) -> list[Server]:
    name = layout.replace(" ", "-").replace("--", "")
    if layout == "2 processes":
        return [start_server(work / f"{name}-{n}", url, fake, key=key) for n in range(2)]
    workers = 2 if "workers" in layout else 1
    return [start_server(work / name, url, fake, key=key, workers=workers)]
