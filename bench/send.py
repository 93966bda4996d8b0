"""Send path: POST /api/v1/messages/send on one `skylight serve` process against the simulator
in its own process, beside the floor app (bench/floor.py) on the same database and simulator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench import loadgen
from bench.databases import fresh_database
from bench.flows import api_client, connect_whatsapp, make_contacts, send
from bench.procs import (
    PYTHON,
    Process,
    _clean_env,
    _spawn,
    free_port,
    running,
    start_server,
    start_simulator,
    wait_http,
)
from skylight.integrations.unipile.simulator.control import SimulatorControl

CONTACTS = 64


@dataclass
class SendResult:
    database: str
    latency_ms: int
    ours: loadgen.Stats
    floor: loadgen.Stats

    @property
    def ratio(self) -> float:
        return self.ours.rps / self.floor.rps if self.floor.rps else float("nan")


def start_floor(database_url: str, dsn: str, api_key: str, work: Path) -> Process:
    port = free_port()
    args = [PYTHON, "-m", "bench.floor", "--port", str(port), "--database-url", database_url]
    process = _spawn(
        "floor",
        [*args, "--dsn", dsn, "--api-key", api_key],
        _clean_env(),
        work / "floor.log",
        f"http://127.0.0.1:{port}",
    )
    wait_http(process, "/docs-none")
    return process


async def measure(
    base_url: str,
    path: str,
    contacts: list[int],
    *,
    total: int,
    concurrency: int,
    headers: dict[str, str] | None = None,
) -> loadgen.Stats:
    def make(i: int) -> loadgen.Request:
        body = {"contact_id": contacts[i % len(contacts)], "message": f"bench {i}"}
        return loadgen.Request("POST", path, body)

    await loadgen.run(
        base_url, make, concurrency=concurrency, total=concurrency * 4, headers=headers
    )
    return await loadgen.run(base_url, make, concurrency=concurrency, total=total, headers=headers)


async def send_path(
    kind: str,
    work: Path,
    *,
    requests: int,
    slow_requests: int,
    concurrency: int,
    latencies: tuple[int, ...] = (0, 300),
) -> list[SendResult]:
    results: list[SendResult] = []
    async with fresh_database(kind, work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=False)
        with running(simulator.process):
            server = start_server(work / "server", url, simulator)
            with running(server.process):
                async with api_client(server.base_url, server.key) as client:
                    await connect_whatsapp(client)
                    contacts = await make_contacts(client, CONTACTS)
                    for contact in contacts:  # the first send starts the chat
                        response = await send(client, contact, "hello")
                        assert response.status_code == 201, response.text
                floor = start_floor(url, simulator.dsn, simulator.api_key, work)
                with running(floor):
                    async with SimulatorControl(simulator.dsn, simulator.api_key) as control:
                        for latency in latencies:
                            await control.set_faults(latency_ms=latency)
                            total = requests if latency == 0 else slow_requests
                            ours = await measure(
                                server.base_url,
                                "/api/v1/messages/send",
                                contacts,
                                total=total,
                                concurrency=concurrency,
                                headers=server.headers,
                            )
                            base = await measure(
                                floor.base_url,
                                "/floor/send",
                                contacts,
                                total=total,
                                concurrency=concurrency,
                            )
                            results.append(SendResult(kind, latency, ours, base))
                        await control.set_faults()
    return results
