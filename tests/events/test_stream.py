"""The live stream: the same events as the API, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skylight.apikeys.repository import ApiKeyRepository
from skylight.apikeys.service import hash_key, revoke_key
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually

pytestmark = pytest.mark.both_databases


class SseReader:
    """Reads events off one open stream; bounded by the client's read timeout."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def read(self, count: int) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        current: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if "data" in current:
                    data = json.loads(current["data"])
                    events.append(
                        {"id": current.get("id"), "event": current.get("event"), "data": data}
                    )
                    if len(events) == count:
                        return events
                current = {}
            elif not line.startswith(":") and ":" in line:
                key, _, value = line.partition(":")
                current[key] = value.lstrip(" ")
        return events


async def _inbound(client: httpx.AsyncClient, tenant: TenantFixture, text: str) -> None:
    response = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": "+966500000061", "text": text},
        headers=tenant.headers,
    )
    assert response.status_code == 201


async def test_a_client_that_disconnects_and_resumes_misses_none(
    base_url: str, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000600")
    timeout = httpx.Timeout(10.0)
    filters = {"type": "message.received"}
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as live:
        async with live.stream(
            "GET", "/api/v1/events/stream", params=filters, headers=tenant.headers
        ) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            for i in range(3):
                await _inbound(client, tenant, f"live {i}")
            first = await SseReader(stream).read(3)
        assert [e["data"]["data"]["content"] for e in first] == ["live 0", "live 1", "live 2"]
        assert all(e["event"] == "message.received" for e in first)

        # Offline while more happens.
        for i in range(4):
            await _inbound(client, tenant, f"missed {i}")

        resume = {**tenant.headers, "Last-Event-ID": first[-1]["id"]}
        async with live.stream(
            "GET", "/api/v1/events/stream", params=filters, headers=resume
        ) as stream:
            reader = SseReader(stream)
            missed = await reader.read(4)
            await _inbound(client, tenant, "after resume")
            later = await reader.read(1)
    assert [e["data"]["data"]["content"] for e in missed] == [f"missed {i}" for i in range(4)]
    assert [e["data"]["data"]["content"] for e in later] == ["after resume"]
    ids = [int(e["id"].removeprefix("evt_")) for e in first + missed + later]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)

    # The stream shows exactly what the catch-up API lists.
    listed = (
        await client.get("/api/v1/events", params={**filters, "limit": 100}, headers=tenant.headers)
    ).json()["data"]
    assert [e["id"] for e in listed] == [e["id"] for e in first + missed + later]


async def test_events_api_pages_with_a_cursor_and_filters(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000601")
    for i in range(5):
        await _inbound(client, tenant, f"page {i}")

    async def received() -> int:
        response = await client.get(
            "/api/v1/events",
            params={"limit": 100, "type": "message.received"},
            headers=tenant.headers,
        )
        return len(response.json()["data"])

    assert await eventually(received, lambda n: n == 5) == 5  # webhooks arrive asynchronously
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, "type": "message.received"}
        if cursor:
            params["after"] = cursor
        page = (await client.get("/api/v1/events", params=params, headers=tenant.headers)).json()
        seen += [e["data"]["content"] for e in page["data"]]
        if not page["meta"]["has_more"]:
            break
        cursor = page["meta"]["next_cursor"]
    assert seen == [f"page {i}" for i in range(5)]
    assert (await client.get("/api/v1/events", headers=other_tenant.headers)).json()["data"] == []
    bad_type = await client.get("/api/v1/events", params={"type": "nope"}, headers=tenant.headers)
    assert bad_type.status_code == 422
    for cursor in ("evt_x", "²", "evt_¹²", "-1", "1" * 19):
        bad_cursor = await client.get(
            "/api/v1/events", params={"after": cursor}, headers=tenant.headers
        )
        assert bad_cursor.status_code == 422, cursor
        assert bad_cursor.json()["errors"] == {"after": ["Use an event id."]}
    for params, extra in (({"after": "²"}, []), ({}, [(b"last-event-id", "evt_²".encode())])):
        headers = [(k.encode(), v.encode()) for k, v in tenant.headers.items()] + extra
        bad_stream = await client.get("/api/v1/events/stream", params=params, headers=headers)
        assert bad_stream.status_code == 422


async def test_a_stream_ends_soon_after_its_key_is_revoked(
    app: FastAPI,
    base_url: str,
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    quick_stream_checks: float,
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000602")
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as live,
        live.stream("GET", "/api/v1/events/stream", headers=tenant.headers) as stream,
    ):
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("retry:")
        async with app.state.db.transaction() as session:
            found = await ApiKeyRepository(session).active_by_hash(hash_key(tenant.key))
            assert found is not None
            await revoke_key(session, found[0].id)
        async with asyncio.timeout(10):
            async for _line in lines:  # ends when the server ends the stream
                pass
    denied = await client.get("/api/v1/events/stream", headers=tenant.headers)
    assert denied.status_code == 401
