"""Attacks on a sandbox server on PostgreSQL, by one tenant against the server and the others:
webhook URLs into our own network, injected faults, a stream that outlives its key, a sign-in
race, and input that used to be a 500 (and that Unipile would retry forever)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from skylight.dashboard.security import SIGN_IN_COOKIE
from skylight.inbound.secret import HEADER
from skylight.kit.db import create_engine, create_sessionmaker, transaction
from skylight.users.service import MAX_FAILURES_PER_EMAIL, create_user
from skylight.webhooks.urls import PLAIN_IP, PRIVATE
from skylight.workspaces.repository import WorkspaceRepository
from tests.databases import PostgresUnavailable, fresh_postgres_database, postgres_required
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually
from tests.security.conftest import UNIPILE_SECRET, Target, target
from tests.webhooks.receivers import RawReceiver, ok

FAILED_AUTH_PER_IP = 10


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    try:
        database = fresh_postgres_database()
        url = await database.__aenter__()
    except PostgresUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CI=true) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")
    try:
        async with target(
            tmp_path_factory.mktemp("sandbox"),
            url,
            tenants=5,
            mode="test",
            SKYLIGHT_RATE_LIMIT_FAILED_AUTH_PER_IP=f"{FAILED_AUTH_PER_IP}/minute",
        ) as running:
            yield running
    finally:
        await database.__aexit__(None, None, None)


async def _sql(server: Target, statement: str, **values: Any) -> None:
    """What changes behind the API's back (DNS, an operator), on the server's own database."""
    engine = create_engine(server.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement), values)
    finally:
        await engine.dispose()


def _headers(tenant: TenantFixture) -> dict[str, str]:
    return {"X-Api-Key": tenant.key}


DISGUISES = {
    "http://0x7f000001/hook": PLAIN_IP,
    "http://2130706433/hook": PLAIN_IP,
    "http://127.1/hook": PLAIN_IP,
    "http://0177.0.0.1/hook": PLAIN_IP,
    "http://localhost./hook": PRIVATE,
    "http://[::ffff:127.0.0.1]/hook": PRIVATE,
    "http://169.254.169.254/latest/meta-data": PRIVATE,
}


@pytest.mark.parametrize(("url", "rule"), DISGUISES.items(), ids=list(DISGUISES))
async def test_loopback_in_disguise_is_refused_when_the_endpoint_is_made(
    server: Target, url: str, rule: str
) -> None:
    async with server.client() as http:
        made = await http.post(
            "/api/v1/webhook-endpoints", json={"url": url}, headers=_headers(server.tenants[0])
        )
    assert made.status_code == 422, made.text
    assert made.json()["errors"] == {"url": [rule]}


async def test_a_name_that_now_points_inside_is_not_called(server: Target) -> None:
    """The URL was public when made; now its name resolves to loopback (DNS rebinding, or a
    record changed): the delivery is refused and nothing of the inside reaches the log."""
    tenant = server.tenants[0]
    inside = RawReceiver(ok(body=b"internal admin console"))
    async with inside.serving() as port, server.client() as http:
        made = await http.post(
            "/api/v1/webhook-endpoints",
            json={"url": "https://hooks.example.com/skylight"},
            headers=_headers(tenant),
        )
        assert made.status_code == 201, made.text
        endpoint_id = made.json()["data"]["id"]
        await _sql(
            server,
            "UPDATE webhook_endpoints SET url = :url WHERE id = :id",
            url=f"http://localhost:{port}/admin",
            id=endpoint_id,
        )
        test = await http.post(
            f"/api/v1/webhook-endpoints/{endpoint_id}/test", headers=_headers(tenant)
        )
        assert test.status_code == 200

        async def logged() -> str:
            page = await http.get(
                f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=_headers(tenant)
            )
            return page.text

        log = await eventually(logged, lambda body: '"attempt_log":[{' in body)
    assert "Refused: the URL resolves to a private or non-public address." in log
    assert "internal admin console" not in log
    assert inside.requests == []


async def test_one_tenants_faults_leave_the_others_alone(server: Target) -> None:
    attacker, victim = server.tenants[1], server.tenants[2]
    async with server.client() as http:
        faults = {"error_rate": 1.0, "latency_ms": 0, "webhook_drop_rate": 1.0}
        answer = await http.post("/api/v1/sandbox/faults", json=faults, headers=_headers(attacker))
        assert answer.status_code == 200
        try:
            theirs = await http.post("/api/v1/channels/telegram/connect", headers=_headers(victim))
            own = await http.post("/api/v1/channels/telegram/connect", headers=_headers(attacker))
        finally:
            await http.post("/api/v1/sandbox/faults", json={}, headers=_headers(attacker))
    assert theirs.status_code == 200, theirs.text
    assert own.status_code in (502, 503)


async def test_a_stream_ends_once_its_key_is_revoked(server: Target) -> None:
    tenant = server.tenants[3]
    async with (
        server.client() as http,
        http.stream("GET", "/api/v1/events/stream", headers=_headers(tenant)) as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("retry:")
        await _sql(
            server,
            "UPDATE api_keys SET revoked_at = now() WHERE key_hash = :hash",
            hash=hashlib.sha256(tenant.key.encode()).hexdigest(),
        )
        async with asyncio.timeout(10):
            async for _line in lines:  # ends when the server ends the stream
                pass
        again = await http.get("/api/v1/events", headers=_headers(tenant))
    assert again.status_code == 401


async def test_thirty_concurrent_guesses_get_five_password_checks(server: Target) -> None:
    engine = create_engine(server.database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            workspace = await WorkspaceRepository(session).get(server.tenants[4].workspace_id)
            assert workspace is not None
            await create_user(session, workspace, "owner@example.com", "the real password")
    finally:
        await engine.dispose()
    async with server.client() as http:
        form = await http.get("/dashboard/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        cookie = {"Cookie": f"{SIGN_IN_COOKIE}={http.cookies[SIGN_IN_COOKIE]}"}
    async with server.client() as guesser:  # no cookie jar of its own: each guess as sent

        async def guess(n: int) -> int:
            fields = {
                "email": "owner@example.com",
                "password": f"guess {n}",
                "csrf_token": token[1],
            }
            return (
                await guesser.post("/dashboard/sign-in", data=fields, headers=cookie)
            ).status_code

        answers = await asyncio.gather(*(guess(n) for n in range(30)))
    # Each 401 is one argon2 verification; the rest were refused before any.
    assert answers.count(401) == MAX_FAILURES_PER_EMAIL
    assert answers.count(429) == 30 - MAX_FAILURES_PER_EMAIL


async def test_requests_without_a_key_spend_the_ip_budget(server: Target) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.77"}  # the server trusts loopback's proxy header
    async with server.client() as http:
        answers = [
            (await http.get("/api/v1/contacts", headers=spoofed)).status_code
            for _ in range(FAILED_AUTH_PER_IP + 1)
        ]
    assert answers == [401] * FAILED_AUTH_PER_IP + [429]


async def test_input_that_was_a_500_is_a_4xx_or_cleaned(server: Target) -> None:
    tenant = server.tenants[0]
    async with server.client(headers=_headers(tenant)) as http:
        assert (await http.get("/api/v1/events", params={"after": "²"})).status_code == 422
        stream = await http.get("/api/v1/events/stream", params={"after": "²"})
        assert stream.status_code == 422
        account_id = await connect_qr_channel(http, tenant, "whatsapp", "+966500000900")

        async def unipile(message_id: str, text: str) -> httpx.Response:
            payload = {
                "account_id": account_id,
                "account_type": "WHATSAPP",
                "event": "message_received",
                "chat_id": "chat-security-1",
                "timestamp": "2026-03-04T12:00:00.000Z",
                "message_id": message_id,
                "message": text,
                "sender": {
                    "attendee_id": "att-x",
                    "attendee_name": "Nul\u0000Name",
                    "attendee_provider_id": "966500000901@s.whatsapp.net",
                },
            }
            return await http.post(
                "/webhooks/unipile",
                content=json.dumps(payload).encode(),
                headers={HEADER: UNIPILE_SECRET},
            )

        nul = await unipile(f"msg-nul-{account_id}", "before\u0000after")
        long_id = await unipile("m" * 300, "never stored")
        conversations = (await http.get("/api/v1/conversations")).json()["data"]
    assert nul.status_code == 200, nul.text
    assert long_id.status_code == 200, long_id.text
    assert long_id.json()["message"].startswith("Ignored: message_id (300 characters)")
    assert [(c["contact_name"], c["last_message"]) for c in conversations] == [
        ("NulName", "beforeafter")
    ]
