"""`make faults`: sends and inbound messages through Unipile errors, timeouts, dropped and
duplicated webhooks, and a `kill -9` of the server mid-traffic; then restart and reconcile.

Unipile is slow in two ways: before it does anything (the simulator's latency fault), and after
it has sent the message but before it answers (bench/proxy.py holds the answer back).

Afterwards, checked through our API and the simulator's sent log (GET /api/v1/sandbox/sent):
- Unipile got each text at most once, and we store each outbound text at most once;
- each inbound message is stored exactly once;
- every 201 is a sent (or later) message that Unipile has; every "failed" answer is a message
  Unipile never got; no message is pending once Unipile has it (pending is allowed only for a
  send that never reached Unipile: reconciliation fails it after its grace period).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import suite
from bench.databases import fresh_database
from bench.flows import all_pages, api_client, connect_whatsapp, eventually, make_contacts, phone
from bench.procs import Server, restart_server, running, start_server, start_simulator
from bench.proxy import DelayingProxy
from skylight.integrations.unipile.simulator.control import SimulatorControl

FINAL = {"sent", "delivered", "read", "failed"}
CONTACTS = 10
SENDERS = 10


@dataclass
class Ledger:
    """What the clients were told, and what they did."""

    answers: dict[str, tuple[int, str]] = field(default_factory=dict)  # text -> (code, status)
    unanswered: list[str] = field(default_factory=list)
    inbound: list[str] = field(default_factory=list)


async def _send(client: httpx.AsyncClient, ledger: Ledger, contact: int, text: str) -> None:
    try:
        response = await client.post(
            "/api/v1/messages/send", json={"contact_id": contact, "message": text}, timeout=30
        )
    except httpx.HTTPError:
        ledger.unanswered.append(text)
        await asyncio.sleep(0.1)  # the server is down: don't spin
        return
    status = response.json().get("data", {}).get("status", "?")
    ledger.answers[text] = (response.status_code, status)


async def _sends(
    client: httpx.AsyncClient, ledger: Ledger, contacts: list[int], tag: str, count: int
) -> None:
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> None:
        async with gate:
            await _send(client, ledger, contacts[i % len(contacts)], f"{tag} send {i}")

    await asyncio.gather(*(one(i) for i in range(count)))


async def _inbound(
    control: SimulatorControl, account: str, ledger: Ledger, tag: str, n: int
) -> None:
    for i in range(n):
        text = f"{tag} inbound {i}"
        sender = phone(1_000_000 + i % SENDERS)
        await control.inbound(account, sender, text, name=f"Sender {i % SENDERS}")
        ledger.inbound.append(text)


async def _kill_phase(
    server: Server,
    control: SimulatorControl,
    account: str,
    contacts: list[int],
    ledger: Ledger,
    *,
    before_kill: float,
) -> Server:
    stop = asyncio.Event()

    async def sender(worker: int) -> None:
        async with api_client(server.base_url, server.key) as client:
            n = 0
            while not stop.is_set():
                await _send(
                    client, ledger, contacts[(worker + n) % len(contacts)], f"kill {worker}-{n}"
                )
                n += 1

    async def inbound() -> None:
        n = 0
        while not stop.is_set():
            await _inbound(control, account, ledger, f"kill {n}", 1)
            n += 1
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(sender(w)) for w in range(8)] + [asyncio.create_task(inbound())]
    try:
        await asyncio.sleep(before_kill)
        server.process.kill9()
        suite.say(f"  killed the server (pid {server.process.pid}) with SIGKILL mid-traffic")
        await asyncio.sleep(1.0)  # inbound keeps arriving at Unipile while we are down
        restarted = restart_server(server)
        suite.say(f"  restarted (pid {restarted.process.pid})")
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return restarted


async def _messages(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for conversation in await all_pages(client, "/api/v1/conversations"):
        rows += await all_pages(client, f"/api/v1/contacts/{conversation['contact_id']}/messages")
    return rows


async def _sent_texts(client: httpx.AsyncClient) -> Counter[str]:
    response = await client.get("/api/v1/sandbox/sent")
    return Counter(item["text"] for item in response.json()["data"])


def _settled(ledger: Ledger, messages: list[dict[str, Any]], sent: Counter[str]) -> bool:
    inbound = {m["content"] for m in messages if m["direction"] == "inbound"}
    stuck = [m for m in messages if m["status"] == "pending" and m["content"] in sent]
    return set(ledger.inbound) <= inbound and not stuck


def _verify(
    ledger: Ledger, messages: list[dict[str, Any]], sent: Counter[str], v: suite.Verdict, kind: str
) -> None:
    outbound = Counter(m["content"] for m in messages if m["direction"] == "outbound")
    inbound = Counter(m["content"] for m in messages if m["direction"] == "inbound")
    by_text = {m["content"]: m for m in messages if m["direction"] == "outbound"}
    doubled_upstream = [t for t, n in sent.items() if n > 1]
    v.check(not doubled_upstream, f"{kind}: no text reached Unipile twice {doubled_upstream[:5]}")
    doubled = [t for t, n in outbound.items() if n > 1]
    v.check(not doubled, f"{kind}: no outbound message stored twice {doubled[:5]}")
    missing = [t for t in ledger.inbound if inbound[t] == 0]
    twice = [t for t in ledger.inbound if inbound[t] > 1]
    v.check(
        not missing, f"{kind}: all {len(ledger.inbound)} inbound stored (missing {missing[:5]})"
    )
    v.check(not twice, f"{kind}: no inbound stored twice {twice[:5]}")
    lied = []
    for text, (code, status) in ledger.answers.items():
        stored = by_text.get(text)
        if stored is None:
            lied.append(f"{text}: answered {code} but not stored")
        elif code == 201 and (stored["status"] == "failed" or sent[text] != 1):
            lied.append(f"{text}: 201 but now {stored['status']}, at Unipile {sent[text]}x")
        elif status == "failed" and sent[text]:
            lied.append(f"{text}: answered failed but Unipile has it")
    v.check(not lied, f"{kind}: {len(ledger.answers)} answered sends match the outcome {lied[:5]}")
    lost = [t for t in sent if t.startswith(("faults", "kill")) and outbound[t] == 0]
    v.check(not lost, f"{kind}: everything Unipile sent for us is stored {lost[:5]}")
    stuck = [m["content"] for m in messages if m["status"] == "pending" and m["content"] in sent]
    v.check(not stuck, f"{kind}: no message pending that Unipile has {stuck[:5]}")
    statuses = Counter(m["status"] for m in messages)
    unknown = set(statuses) - FINAL - {"pending"}
    v.check(not unknown, f"{kind}: every message has a known status {dict(statuses)}")
    pending = [m for m in messages if m["status"] == "pending"]
    suite.say(
        f"  {len(messages)} messages {dict(statuses)}; {len(ledger.unanswered)} sends unanswered "
        f"(server down); {len(pending)} pending never reached Unipile (expire to failed later)"
    )
    for m in pending[:10]:
        suite.say(f"    pending: {m['content']!r} answered {ledger.answers.get(m['content'])}")


async def faults(kind: str, work: Path, *, scale: int, v: suite.Verdict) -> None:
    suite.say(f"faults on {kind}")
    async with fresh_database(kind, work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=True)
        sim_port = int(simulator.dsn.rsplit(":", 1)[1])
        with running(simulator.process):
            async with DelayingProxy("127.0.0.1", sim_port).running() as proxy:
                server = start_server(
                    work / "server",
                    url,
                    simulator,
                    # We reach Unipile through the proxy; it reaches us directly.
                    SKYLIGHT_UNIPILE_DSN=f"http://127.0.0.1:{proxy.port}",
                    SKYLIGHT_UNIPILE_TIMEOUT_SECONDS="1.0",
                    SKYLIGHT_RECONCILE_INTERVAL_SECONDS="2",
                )
                try:
                    server = await _scenario(
                        server, simulator.dsn, simulator.api_key, proxy, kind, scale, v
                    )
                finally:
                    server.process.stop()
            problems = suite.server_log_problems(server.process.output())
            suite.say(f"  server log: {len(problems)} error lines")
            for line in problems[:10]:
                suite.say(f"    {line}")
            for line in suite.first_traceback(server.process.output()):
                suite.say(f"    | {line}")


async def _scenario(
    server: Server,
    dsn: str,
    api_key: str,
    proxy: DelayingProxy,
    kind: str,
    scale: int,
    v: suite.Verdict,
) -> Server:
    ledger = Ledger()
    async with SimulatorControl(dsn, api_key) as control:
        async with api_client(server.base_url, server.key) as client:
            account = await connect_whatsapp(client)
            contacts = await make_contacts(client, CONTACTS)
            await _sends(client, ledger, contacts, "faults warm-up", CONTACTS)

            suite.say("  phase 1: Unipile errors (error_rate 0.3)")
            await control.set_faults(error_rate=0.3)
            await _sends(client, ledger, contacts, "faults errors", 6 * scale)
            await _inbound(control, account, ledger, "faults errors", 2 * scale)

            suite.say("  phase 2: Unipile slower than our timeout (1.5 s against 1 s)")
            await control.set_faults(latency_ms=1500)
            await _sends(client, ledger, contacts, "faults timeouts", 2 * scale)
            await control.set_faults()

            suite.say("  phase 3: Unipile sends, but answers after our timeout (1.5 s)")
            proxy.answer_delay = 1.5
            await _sends(client, ledger, contacts, "faults late answers", 2 * scale)
            proxy.answer_delay = 0.0

            suite.say("  phase 4: webhooks dropped (0.4) and duplicated (0.5)")
            await control.set_faults(webhook_drop_rate=0.4, webhook_duplicate_rate=0.5)
            await _sends(client, ledger, contacts, "faults webhooks", 3 * scale)
            await _inbound(control, account, ledger, "faults webhooks", 4 * scale)

        suite.say("  phase 5: kill -9 mid-traffic (with duplicated webhooks), restart")
        await control.set_faults(webhook_duplicate_rate=0.3, error_rate=0.05)
        server = await _kill_phase(
            server, control, account, contacts, ledger, before_kill=1.0 + scale / 10
        )
        await control.set_faults()

        async with api_client(server.base_url, server.key) as client:

            async def state() -> tuple[list[dict[str, Any]], Counter[str]]:
                return await _messages(client), await _sent_texts(client)

            messages, sent = await eventually(state, lambda s: _settled(ledger, *s), within=120)
            suite.say(f"  settled: {len(messages)} messages, {sum(sent.values())} at Unipile")
            _verify(ledger, messages, sent, v, kind)
    return server


async def main() -> int:
    scale = 5 if suite.quick() else 20
    v = suite.Verdict("faults")
    with tempfile.TemporaryDirectory(prefix="skylight-faults-") as tmp:
        for kind in suite.databases():
            await faults(kind, Path(tmp) / kind, scale=scale, v=v)
    return v.finish()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
