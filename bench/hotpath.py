"""The hot paths against their floors, in one run: `POST /api/v1/messages/send` beside
``/floor/send`` and `POST /webhooks/unipile` (message_received) beside ``/floor/inbound``.

One database, one upstream, one `skylight serve` and one floor app (bench/floor.py) for all
of it. Each repetition measures SkyLight, then the floor, with the same requests and
concurrency, so the machine's other work (it is shared) weighs on both alike; the ratio is of
the medians, with the spread of the per-repetition ratios. CPU is the server process's own
(its workers included), per request.

Upstreams: ``fake`` is bench/fake_unipile.py (answers a send at once, next to no CPU), so the
figure is ours alone; ``simulator`` is the Unipile simulator, with an optional latency.

Inbound counts an event once it is visible in the database (the API's tables): events/s run
from the first request to the moment the last one is applied, so work queued by a webhook and
applied later is measured too; "drain" is how long that took after the last answer."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import loadgen
from bench.cpu import tree_cpu_seconds
from bench.databases import fresh_database
from bench.flows import api_client, connect_whatsapp, make_contacts, send
from bench.procs import (
    WEBHOOK_SECRET,
    Process,
    Server,
    Simulator,
    running,
    start_fake_unipile,
    start_floor,
    start_server,
    start_simulator,
)
from bench.profile import Recording, summarise
from skylight.integrations.unipile.simulator.control import SimulatorControl

CONTACTS = 64
SENDERS = 200
# Inbound senders' phone numbers start here, clear of the contacts the sends go to.
SENDER_BASE = 10_000
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Side:
    """One app's repetitions."""

    stats: list[loadgen.Stats] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    # Inbound: seconds from the last answer until the last event was applied.
    drain_seconds: list[float] = field(default_factory=list)

    @property
    def rates(self) -> list[float]:
        drains = self.drain_seconds or [0.0] * len(self.stats)
        pairs = zip(self.stats, drains, strict=True)
        return [s.count / (s.elapsed + d) if s.elapsed else 0.0 for s, d in pairs]

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def cpu_ms(self) -> float:
        pairs = zip(self.stats, self.cpu_seconds, strict=True)
        return statistics.median(c / s.count * 1000 for s, c in pairs)

    @property
    def p50(self) -> float:
        return statistics.median(s.p50 for s in self.stats)

    @property
    def p99(self) -> float:
        return statistics.median(s.p99 for s in self.stats)

    @property
    def drain(self) -> float:
        return max(self.drain_seconds, default=0.0)

    @property
    def errors(self) -> list[str]:
        return [e for s in self.stats for e in s.errors]


@dataclass
class HotResult:
    path: str  # "send" or "inbound"
    database: str
    upstream: str
    ours: Side = field(default_factory=Side)
    floor: Side = field(default_factory=Side)
    # Inbound: events sent by SkyLight's runs, and how many of them are stored.
    sent: int = 0
    stored: int = 0
    # With BENCH_PROFILE: where SkyLight's CPU went in its first repetition (bench/profile.py).
    profile: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.ours.rate / self.floor.rate if self.floor.rate else float("nan")

    @property
    def ratios(self) -> list[float]:
        return [o / f for o, f in zip(self.ours.rates, self.floor.rates, strict=False) if f]


@dataclass
class Environment:
    server: Server
    floor: Process
    upstream: Simulator
    simulator: Simulator
    # A plain engine for counting what got stored (ours would BEGIN IMMEDIATE on SQLite).
    counter: AsyncEngine
    contacts: list[int]
    account_id: str
    # Sends the fake Unipile had answered at the last check.
    answered: int = 0


def _send_request(path: str, contacts: list[int], run: str) -> Callable[[int], loadgen.Request]:
    def make(i: int) -> loadgen.Request:
        body = {"contact_id": contacts[i % len(contacts)], "message": f"{run} {i}"}
        return loadgen.Request("POST", path, body)

    return make


def webhook_payload(account_id: str, run: str, i: int) -> dict[str, Any]:
    """A new message (its own id) from one of SENDERS people, each in a chat of their own."""
    person = SENDER_BASE + i % SENDERS
    sender = {
        "attendee_id": f"att-{person}",
        "attendee_name": f"Sender {person}",
        "attendee_provider_id": f"9665{person:08d}@s.whatsapp.net",
    }
    return {
        "account_id": account_id,
        "account_type": "WHATSAPP",
        "event": "message_received",
        "chat_id": f"bench-chat-{person}",
        "timestamp": (BASE_TIME + timedelta(milliseconds=i)).isoformat().replace("+00:00", "Z"),
        "webhook_name": "skylight-message_received",
        "message_id": f"{run}-msg-{i}",
        "message": f"Inbound message {i}",
        "sender": sender,
        "attendees": [sender],
        "attachments": [],
    }


def _inbound_request(path: str, account_id: str, run: str) -> Callable[[int], loadgen.Request]:
    def make(i: int) -> loadgen.Request:
        payload = webhook_payload(account_id, run, i)
        return loadgen.Request("POST", path, payload, (("Unipile-Auth", WEBHOOK_SECRET),))

    return make


async def _stored(engine: AsyncEngine, run: str) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM messages WHERE unipile_message_id LIKE :p"),
            {"p": f"{run}-msg-%"},
        )
        return int(count or 0)


async def _drain(engine: AsyncEngine, run: str, expected: int, within: float = 120.0) -> float:
    """Seconds until `expected` messages of the run are stored (or `within` has passed)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await _stored(engine, run) >= expected:
            break
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _setup(server: Server, counter: AsyncEngine) -> tuple[str, list[int]]:
    async with api_client(server.base_url, server.key) as client:
        account_id = await connect_whatsapp(client)
        contacts = await make_contacts(client, CONTACTS)
        for contact in contacts:  # the first send starts the chat
            response = await send(client, contact, "hello")
            assert response.status_code == 201, response.text
    # One message from each inbound sender: their contacts, chats and conversations.
    stats = await loadgen.run(
        server.base_url,
        _inbound_request("/webhooks/unipile", account_id, "warm"),
        concurrency=8,
        total=SENDERS,
    )
    if stats.errors:
        raise RuntimeError(f"inbound warm-up failed: {stats.errors[:3]}")
    # Applied (not only answered) before the floor starts and reads the chats they made.
    await _drain(counter, "warm", SENDERS)
    return account_id, contacts


async def run_paths(
    kind: str,
    work: Path,
    *,
    upstream: str,
    paths: tuple[str, ...],
    requests: int,
    repeats: int,
    concurrency: int,
    seconds: float | None = None,
    latencies: tuple[int, ...] = (0,),
    workers: int = 1,
    profile: Path | None = None,
) -> list[HotResult]:
    """Set up one server and one floor on a fresh database, then measure each path."""
    results: list[HotResult] = []
    began = time.monotonic()
    async with fresh_database(kind, work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=False)
        with running(simulator.process):
            target = start_fake_unipile(simulator, work / "fake") if upstream == "fake" else None
            with running(*([target.process] if target else [])):
                via = target or simulator
                server = start_server(work / "server", url, via, workers=workers)
                with running(server.process):
                    _say(f"server up after {time.monotonic() - began:.0f} s")
                    counter = create_async_engine(url)
                    account_id, contacts = await _setup(server, counter)
                    _say(f"set up after {time.monotonic() - began:.0f} s")
                    floor = start_floor(url, via, work)
                    with running(floor):
                        env = Environment(
                            server, floor, via, simulator, counter, contacts, account_id
                        )
                        try:
                            results += await _measure_paths(
                                env,
                                kind,
                                upstream,
                                paths,
                                latencies,
                                requests=requests,
                                repeats=repeats,
                                concurrency=concurrency,
                                seconds=seconds,
                                profile=profile,
                            )
                        finally:
                            await counter.dispose()
    return results


async def _measure_paths(
    env: Environment,
    kind: str,
    upstream: str,
    paths: tuple[str, ...],
    latencies: tuple[int, ...],
    *,
    requests: int,
    repeats: int,
    concurrency: int,
    seconds: float | None = None,
    profile: Path | None = None,
) -> list[HotResult]:
    results: list[HotResult] = []
    for path in paths:
        for latency in latencies if path == "send" else (0,):
            results.append(
                await _measure_path(
                    env,
                    kind,
                    path,
                    upstream,
                    latency,
                    requests=requests,
                    repeats=repeats,
                    concurrency=concurrency,
                    seconds=seconds,
                    profile=profile,
                )
            )
    return results


async def _measure_path(
    env: Environment,
    kind: str,
    path: str,
    upstream: str,
    latency: int,
    *,
    requests: int,
    repeats: int,
    concurrency: int,
    seconds: float | None = None,
    profile: Path | None = None,
) -> HotResult:
    label = upstream if not latency else f"{upstream}, {latency} ms"
    result = HotResult(path, kind, label)
    server, floor = env.server, env.floor
    async with SimulatorControl(env.simulator.dsn, env.simulator.api_key) as control:
        await control.set_faults(latency_ms=latency)
        try:
            for rep in range(repeats):
                for side, app, base_url, pid in (
                    (result.ours, "ours", server.base_url, server.process.pid),
                    (result.floor, "floor", floor.base_url, floor.pid),
                ):
                    run = f"{path}-{app}-{latency}-{rep}"
                    headers = server.headers if app == "ours" else None
                    if path == "send":
                        route = "/api/v1/messages/send" if app == "ours" else "/floor/send"
                        make = _send_request(route, env.contacts, run)
                    else:
                        route = "/webhooks/unipile" if app == "ours" else "/floor/inbound"
                        make = _inbound_request(route, env.account_id, run)
                    if rep == 0:  # warm-up: connections, caches, JIT-less but lazy imports
                        await loadgen.run(
                            base_url,
                            _warm(make),
                            concurrency=concurrency,
                            total=concurrency * 4,
                            headers=headers,
                        )
                        if path == "inbound":
                            await _drain(env.counter, f"warm-{run}", concurrency * 4)
                    recording = None
                    if profile is not None and rep == 0 and app == "ours":
                        raw = profile / f"{path}-{kind}-{upstream}-{latency}.txt"
                        recording = Recording(pid, raw)
                        await asyncio.sleep(1.0)  # py-spy attaches
                    cpu_before = tree_cpu_seconds(pid)
                    stats = await loadgen.run(
                        base_url,
                        make,
                        concurrency=concurrency,
                        total=requests,
                        duration=seconds,
                        headers=headers,
                    )
                    if path == "inbound":
                        # Applied, not just answered: wait for the last one (its CPU counts).
                        expected = stats.count - len(stats.errors)
                        side.drain_seconds.append(await _drain(env.counter, run, expected))
                        stored = await _stored(env.counter, run)
                        if stored < expected:
                            stats.errors.append(f"{app}: {expected} answered, {stored} stored")
                        if app == "ours":
                            result.sent += stats.count
                            result.stored += stored
                    side.stats.append(stats)
                    side.cpu_seconds.append(tree_cpu_seconds(pid) - cpu_before)
                    if path == "send" and upstream == "fake":
                        await _check_fake_answered(env, stats.count)
                    if recording is not None:
                        recording.stop()
                        result.profile = summarise(recording.raw)
        finally:
            await control.set_faults()
    return result


async def _check_fake_answered(env: Environment, sends: int) -> None:
    """The fake Unipile answered these sends itself (none went on to the simulator)."""
    async with httpx.AsyncClient(base_url=env.upstream.dsn) as http:
        answered = int((await http.get("/__fake/stats")).json()["answered"])
    if answered - env.answered < sends:
        raise RuntimeError(f"the fake Unipile answered {answered - env.answered} of {sends} sends")
    env.answered = answered


def _say(text: str) -> None:
    print(f"[bench]   {text}", file=sys.stderr, flush=True)


def _warm(make: Callable[[int], loadgen.Request]) -> Callable[[int], loadgen.Request]:
    """The same requests under other ids (the warm-up must not collide with the measurement)."""

    def warm(i: int) -> loadgen.Request:
        request = make(i)
        body = request.body
        if isinstance(body, dict) and "message_id" in body:
            body = {**body, "message_id": f"warm-{body['message_id']}"}
        return loadgen.Request(request.method, request.path, body, request.headers)

    return warm
