"""Shared steps of the channel tests: every call goes through the real API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import TenantFixture

API = "/api/v1"
CHANNEL_FIELDS = {"id", "type", "username", "is_connected", "sync_status", "last_synced_at"}
STATUS_FIELDS = CHANNEL_FIELDS | {"completed", "in_progress"}
SAUDI_PHONE = "+966501234567"
POLL_SECONDS = 10.0  # a bound for loaded machines; a passing poll takes well under 1 s
POLL_STEP = 0.1


def seed_headers(tenant: TenantFixture) -> dict[str, str]:
    """The seed authenticates with X-Api-Key; tenant.headers uses the Bearer form."""
    return {"X-Api-Key": tenant.key}


async def connect_qr(
    client: httpx.AsyncClient, tenant: TenantFixture, channel: str
) -> dict[str, Any]:
    response = await client.post(f"{API}/channels/{channel}/connect", headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def get_status(
    client: httpx.AsyncClient, tenant: TenantFixture, channel: str, account_id: str | None = None
) -> httpx.Response:
    params = {"account_id": account_id} if account_id is not None else {}
    return await client.get(
        f"{API}/channels/{channel}/status", params=params, headers=tenant.headers
    )


async def poll_status(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    channel: str,
    account_id: str | None,
    until: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Poll the status endpoint (bounded) until `until(data)`; returns that data."""
    data: dict[str, Any] = {}
    for _ in range(int(POLL_SECONDS / POLL_STEP)):
        response = await get_status(client, tenant, channel, account_id)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        if until(data):
            return data
        await asyncio.sleep(POLL_STEP)
    raise AssertionError(f"{channel} status never reached the expected state; last: {data}")


async def poll_local(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    channel: str,
    until: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Poll GET /channels, which reads local records only (it never asks Unipile): whatever
    changes there was brought by an account_status webhook."""
    found: dict[str, Any] = {}
    for _ in range(int(POLL_SECONDS / POLL_STEP)):
        response = await client.get(f"{API}/channels", headers=tenant.headers)
        assert response.status_code == 200, response.text
        rows = [row for row in response.json()["data"] if row["type"] == channel]
        found = rows[0] if rows else {}
        if found and until(found):
            return found
        await asyncio.sleep(POLL_STEP)
    raise AssertionError(f"local {channel} record never reached the expected state: {found}")


async def sandbox(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    account_id: str,
    action: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{API}/sandbox/accounts/{account_id}/{action}", json=body, headers=tenant.headers
    )


async def scan(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    account_id: str,
    username: str = SAUDI_PHONE,
) -> None:
    response = await sandbox(client, tenant, account_id, "scan", {"username": username})
    assert response.status_code == 200, response.text


async def set_upstream_status(
    client: httpx.AsyncClient, tenant: TenantFixture, account_id: str, status: str
) -> None:
    response = await sandbox(client, tenant, account_id, "status", {"status": status})
    assert response.status_code == 200, response.text


def completed(data: dict[str, Any]) -> bool:
    return data["completed"] is True


async def connected_qr(
    client: httpx.AsyncClient, tenant: TenantFixture, channel: str, username: str = SAUDI_PHONE
) -> dict[str, Any]:
    """Connect, scan, and poll until completed; returns the final status data."""
    account_id = (await connect_qr(client, tenant, channel))["account_id"]
    await scan(client, tenant, account_id, username)
    data = await poll_status(client, tenant, channel, account_id, completed)
    data["account_id"] = account_id
    return data


async def connect_instagram(
    client: httpx.AsyncClient, tenant: TenantFixture, **body: Any
) -> httpx.Response:
    return await client.post(f"{API}/channels/instagram/connect", json=body, headers=tenant.headers)


async def solve_2fa(
    client: httpx.AsyncClient, tenant: TenantFixture, account_id: str, code: str = "123456"
) -> httpx.Response:
    return await client.post(
        f"{API}/channels/instagram/2fa",
        json={"account_id": account_id, "code": code},
        headers=tenant.headers,
    )


async def settled(client: httpx.AsyncClient, tenant: TenantFixture, channel: str) -> None:
    """Wait for the end of a new login's webhook sequence (CREATION_SUCCESS, OK, SYNC_SUCCESS),
    so a later step is not overtaken by one of its webhooks."""
    await poll_local(client, tenant, channel, lambda row: row["sync_status"] == "SYNC_SUCCESS")
