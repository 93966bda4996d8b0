"""Attacks on a live server (real Unipile mode; its Unipile is unreachable, which none of these
need): a webhook receiver answering 400 MB or trickling, 50 MB request bodies, sandbox keys,
and the data files at rest. Webhook URLs may be private here, so the receivers can be ours."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import stat
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from skylight.apikeys.service import create_key
from skylight.kit.db import create_engine, create_sessionmaker, transaction
from skylight.webhooks.sender import RESPONSE_LIMIT
from skylight.workspaces.service import create_workspace
from tests.processes import free_port
from tests.sandbox_flows import eventually
from tests.security.conftest import MB, PeakRss, Target, target
from tests.webhooks.receivers import RawReceiver, huge, ok, trickle

DEADLINE = 1.0


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    async with target(
        tmp_path_factory.mktemp("live"),
        None,
        tenants=2,
        mode="live",
        SKYLIGHT_UNIPILE_DSN=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        SKYLIGHT_UNIPILE_API_KEY="unused-in-these-tests",
        SKYLIGHT_UNIPILE_MAX_RETRIES="0",
        SKYLIGHT_WEBHOOK_ALLOW_PRIVATE_URLS="true",
        SKYLIGHT_WEBHOOK_TIMEOUT_SECONDS=str(DEADLINE),
    ) as running:
        yield running


async def _endpoint(http: httpx.AsyncClient, key: str, url: str) -> int:
    made = await http.post(
        "/api/v1/webhook-endpoints", json={"url": url}, headers={"X-Api-Key": key}
    )
    assert made.status_code == 201, made.text
    endpoint_id: int = made.json()["data"]["id"]
    test = await http.post(
        f"/api/v1/webhook-endpoints/{endpoint_id}/test", headers={"X-Api-Key": key}
    )
    assert test.status_code == 200, test.text
    return endpoint_id


async def _attempts(http: httpx.AsyncClient, key: str, endpoint_id: int) -> list[dict[str, Any]]:
    rows = (
        await http.get(
            f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", headers={"X-Api-Key": key}
        )
    ).json()["data"]
    return [attempt for row in rows for attempt in row["attempt_log"]]


async def test_a_400_mb_answer_costs_the_server_nothing(server: Target) -> None:
    key = server.tenants[0].key
    receiver = RawReceiver(huge(400))
    async with receiver.serving() as port, server.client() as http:
        async with PeakRss(server.pid) as rss:
            endpoint_id = await _endpoint(http, key, f"http://127.0.0.1:{port}/hook")
            logged = await eventually(
                lambda: _attempts(http, key, endpoint_id), lambda a: len(a) == 1, within=30
            )
        assert receiver.hung_up == 1  # it hung up: the rest of the 400 MB was never read
    assert logged[0]["status_code"] == 200
    assert len(logged[0]["response_body"]) == RESPONSE_LIMIT
    assert rss.growth < 50 * MB, f"RSS grew by {rss.growth / MB:.0f} MB"


async def test_trickling_endpoints_cannot_hold_the_job_slots(server: Target) -> None:
    """Six endpoints answering a byte every half second (more than the server's job slots):
    each attempt ends at the deadline, and another tenant's delivery goes out meanwhile."""
    attacker, victim = (t.key for t in server.tenants)
    slow, fine = RawReceiver(trickle(0.5)), RawReceiver(ok())
    async with slow.serving() as slow_port, fine.serving() as fine_port, server.client() as http:
        slow_ones = [
            await _endpoint(http, attacker, f"http://127.0.0.1:{slow_port}/hook/{n}")
            for n in range(6)
        ]
        await _endpoint(http, victim, f"http://127.0.0.1:{fine_port}/hook")

        async def victim_served() -> int:
            return len(fine.requests)

        # Without a deadline per attempt the slots stay held for as long as the trickle goes.
        assert await eventually(victim_served, lambda n: n == 1, within=6 * DEADLINE) == 1
        for endpoint_id in slow_ones:
            attempts = await eventually(
                lambda e=endpoint_id: _attempts(http, attacker, e),  # type: ignore[misc]
                lambda a: len(a) == 1,
                within=10,
            )
            assert attempts[0]["error"] == f"No complete answer within {DEADLINE:g} s."


async def _post_raw(port: int, headers: dict[str, str], size: int, *, chunked: bool) -> int:
    """POST `size` bytes to /api/v1/contacts over a raw socket, declared or chunked, while
    reading the answer; its status.

    A plain socket, not asyncio's streams: the server answers 413 and closes with our bytes
    unread, so its kernel resets the connection. A stream transport that then fails to send
    closes itself and drops the answer it had not read yet; a socket keeps what its kernel
    received before the reset, and the sender just stops."""
    loop = asyncio.get_running_loop()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def pump() -> None:
        await loop.sock_sendall(
            sock,
            f"POST /api/v1/contacts HTTP/1.1\r\nHost: target\r\nContent-Type: application/json"
            f"\r\n{framing}\r\n{head}\r\n".encode(),
        )
        chunk = b" " * MB
        with contextlib.suppress(OSError):  # the server stopped listening: as it should
            for _ in range(size // MB):
                framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
                await loop.sock_sendall(sock, framed)
            await loop.sock_sendall(sock, b"0\r\n\r\n" if chunked else b"")

    async def status_line() -> bytes:
        answer = b""
        while b"\r\n" not in answer:
            data = await loop.sock_recv(sock, 4096)
            if not data:
                raise AssertionError(f"connection closed after {answer!r}")
            answer += data
        return answer.split(b"\r\n", 1)[0]

    pumping = asyncio.create_task(pump())
    try:
        line = await asyncio.wait_for(status_line(), timeout=60)
    finally:
        pumping.cancel()
        await asyncio.gather(pumping, return_exceptions=True)
        sock.close()
    return int(line.split()[1])


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
async def test_a_50_mb_body_is_refused_unread_with_or_without_a_key(
    server: Target, chunked: bool
) -> None:
    port = int(server.base.rsplit(":", 1)[1])
    size = 50 * MB
    async with PeakRss(server.pid) as rss:
        keyless = await _post_raw(port, {}, size, chunked=chunked)
        keyed = await _post_raw(port, {"X-Api-Key": server.tenants[0].key}, size, chunked=chunked)
    assert [keyless, keyed] == [413, 413]
    assert rss.growth < 50 * MB, f"RSS grew by {rss.growth / MB:.0f} MB"


async def test_a_sandbox_key_is_refused_by_a_live_server(server: Target) -> None:
    engine = create_engine(server.database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            workspace = await create_workspace(session, "Made in the sandbox")
            test_key = (await create_key(session, workspace, "old", "test")).secret
    finally:
        await engine.dispose()
    async with server.client() as http:
        refused = await http.get("/api/v1/contacts", headers={"X-Api-Key": test_key})
        live = await http.get("/api/v1/contacts", headers={"X-Api-Key": server.tenants[0].key})
    assert refused.status_code == 401
    assert refused.json()["message"].startswith("This is a test key (sk_test_...)")
    assert live.status_code == 200


def test_the_data_files_are_private(server: Target) -> None:
    def mode(name: str) -> int:
        return stat.S_IMODE((server.data_dir / name).stat().st_mode)

    assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700
    files = sorted(p.name for p in server.data_dir.iterdir() if p.is_file())
    assert {"skylight.db", "skylight.db-wal", "skylight.db-shm"} <= set(files)
    assert {name: mode(name) for name in files} == dict.fromkeys(files, 0o600)
