"""Flows many tests need: connect a sandbox channel, wait for something to become true."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from tests.factories import TenantFixture

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], *, within: float = 10.0
) -> T:
    """Poll until ok(value); bounded, never a bare sleep. Returns the last value."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if ok(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def connect_qr_channel(
    client: httpx.AsyncClient, tenant: TenantFixture, channel: str, username: str
) -> str:
    """Connect WhatsApp or Telegram through the API and the sandbox scan; the account id."""
    connect = await client.post(f"/api/v1/channels/{channel}/connect", headers=tenant.headers)
    assert connect.status_code == 200, connect.text
    account_id: str = connect.json()["data"]["account_id"]
    scan = await client.post(
        f"/api/v1/sandbox/accounts/{account_id}/scan",
        json={"username": username},
        headers=tenant.headers,
    )
    assert scan.status_code == 200, scan.text

    async def status() -> dict[str, Any]:
        response = await client.get(
            f"/api/v1/channels/{channel}/status",
            params={"account_id": account_id},
            headers=tenant.headers,
        )
        data: dict[str, Any] = response.json()["data"]
        return data

    final = await eventually(
        status, lambda s: s["completed"] and s["sync_status"] in ("OK", "SYNC_SUCCESS")
    )
    assert final["completed"] is True, final
    return account_id


async def make_contact(
    client: httpx.AsyncClient, tenant: TenantFixture, **fields: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/contacts", json=fields, headers=tenant.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def sent_log(client: httpx.AsyncClient, tenant: TenantFixture) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/sandbox/sent", headers=tenant.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


async def receive(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    sender: str,
    file: tuple[str, bytes, str] | None,
    text: str | None = None,
) -> httpx.Response:
    """A WhatsApp message from `sender` through the sandbox, with a file or not."""
    fields = {"channel": "whatsapp", "from": sender, **({"text": text} if text else {})}
    if file is None:
        return await client.post("/api/v1/sandbox/inbound", json=fields, headers=tenant.headers)
    return await client.post(
        "/api/v1/sandbox/inbound", data=fields, files={"file": file}, headers=tenant.headers
    )


async def history(client: httpx.AsyncClient, tenant: TenantFixture) -> list[dict[str, Any]]:
    """The messages of the workspace's first conversation ([] while there is none)."""
    conversations = await client.get("/api/v1/conversations", headers=tenant.headers)
    rows = conversations.json()["data"]
    if not rows:
        return []
    response = await client.get(
        f"/api/v1/contacts/{rows[0]['contact_id']}/messages", headers=tenant.headers
    )
    messages: list[dict[str, Any]] = response.json()["data"]
    return messages
