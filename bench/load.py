"""`make load`: 200 concurrent clients mixing sends and reads against one `skylight serve`
process for 60 s (`--quick`: 10 s), on SQLite and on PostgreSQL, the simulator echoing every
send back as a webhook as Unipile does. Passes with zero errors; reports p99 per operation."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import loadgen, suite
from bench.databases import fresh_database
from bench.flows import api_client, connect_whatsapp, make_contacts
from bench.procs import running, start_server, start_simulator

CONTACTS = 100


def mix(contacts: list[int]) -> Callable[[int], loadgen.Request]:
    """4 sends, 3 conversation listings, 3 contact histories in every 10 requests."""

    def make(i: int) -> loadgen.Request:
        contact = contacts[(i * 7) % len(contacts)]
        slot = i % 10
        if slot < 4:
            body = {"contact_id": contact, "message": f"load {i}"}
            return loadgen.Request("POST", "/api/v1/messages/send", body, label="send")
        if slot < 7:
            page = 1 + i % 3
            return loadgen.Request(
                "GET", f"/api/v1/conversations?page={page}", label="conversations"
            )
        return loadgen.Request("GET", f"/api/v1/contacts/{contact}/messages", label="history")

    return make


async def load(
    kind: str, work: Path, *, clients: int, seconds: float, verdict: suite.Verdict
) -> None:
    suite.say(f"load on {kind}: {clients} clients for {seconds:.0f} s")
    async with fresh_database(kind, work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=True)
        with running(simulator.process):
            server = start_server(work / "server", url, simulator)
            with running(server.process):
                async with api_client(server.base_url, server.key) as client:
                    await connect_whatsapp(client)
                    contacts = await make_contacts(client, CONTACTS)
                stats = await loadgen.run(
                    server.base_url,
                    mix(contacts),
                    concurrency=clients,
                    duration=seconds,
                    headers=server.headers,
                    request_timeout=60,
                )
                for line in suite.stats_table(stats):
                    suite.say(line)
                for error in stats.errors[:10]:
                    suite.say(f"    {error}")
                verdict.check(
                    not stats.errors, f"{kind}: {stats.count} requests, {len(stats.errors)} errors"
                )
                problems = suite.server_log_problems(server.process.output())
                verdict.check(
                    not problems, f"{kind}: no errors in the server log ({len(problems)})"
                )
                for line in problems[:10]:
                    suite.say(f"    {line}")
                for line in suite.first_traceback(server.process.output()):
                    suite.say(f"    | {line}")


async def main() -> int:
    seconds = float(os.environ.get("LOAD_SECONDS", "10" if suite.quick() else "60"))
    clients = int(os.environ.get("LOAD_CLIENTS", "200"))
    verdict = suite.Verdict("load")
    with tempfile.TemporaryDirectory(prefix="skylight-load-") as tmp:
        for kind in suite.databases():
            await load(kind, Path(tmp) / kind, clients=clients, seconds=seconds, verdict=verdict)
    return verdict.finish()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
