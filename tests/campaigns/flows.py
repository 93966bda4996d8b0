"""What campaign tests do over and over: contacts, a campaign, waiting for its state."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact

Json = dict[str, Any]


def phone(n: int, prefix: str = "96655") -> str:
    """A valid Saudi mobile number; never ending in 0000 (the simulator's 'not on WhatsApp')."""
    return f"+{prefix}{n % 10**7:07d}" if n % 10**4 else f"+{prefix}{n + 1:07d}"


async def connect_whatsapp(client: httpx.AsyncClient, tenant: TenantFixture) -> str:
    return await connect_qr_channel(
        client, tenant, "whatsapp", f"+9665000{secrets.randbelow(10**5):05d}"
    )


async def whatsapp_contacts(
    client: httpx.AsyncClient, tenant: TenantFixture, count: int, *, name: str = "Guest"
) -> list[Json]:
    return [
        await make_contact(
            client, tenant, name=f"{name} {n}", channel="whatsapp", phone=phone(n + 1)
        )
        for n in range(count)
    ]


async def create(client: httpx.AsyncClient, tenant: TenantFixture, **body: Any) -> Json:
    fields: Json = {"name": "Spring offer", "channel": "whatsapp", "message": "Hi {{name}}!"}
    fields.update(body)
    response = await client.post("/api/v1/campaigns", json=fields, headers=tenant.headers)
    assert response.status_code == 201, response.text
    data: Json = response.json()["data"]
    return data


async def act(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    campaign_id: int,
    action: str,
    expect: int = 200,
    **body: Any,
) -> Json:
    response = await client.post(
        f"/api/v1/campaigns/{campaign_id}/{action}", json=body or None, headers=tenant.headers
    )
    assert response.status_code == expect, response.text
    result: Json = response.json()
    return result


async def get(client: httpx.AsyncClient, tenant: TenantFixture, campaign_id: int) -> Json:
    response = await client.get(f"/api/v1/campaigns/{campaign_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: Json = response.json()["data"]
    return data


async def until_state(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    campaign_id: int,
    *states: str,
    within: float = 30.0,
) -> Json:
    campaign = await eventually(
        lambda: get(client, tenant, campaign_id), lambda c: c["state"] in states, within=within
    )
    assert campaign["state"] in states, campaign
    return campaign


async def set_upstream_status(
    client: httpx.AsyncClient, tenant: TenantFixture, channel: str, account_id: str, status: str
) -> None:
    """Change the account's status at the simulator and wait for its webhook to arrive."""
    response = await client.post(
        f"/api/v1/sandbox/accounts/{account_id}/status",
        json={"status": status},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text

    async def local() -> str:
        r = await client.get(f"/api/v1/channels/{channel}/status", headers=tenant.headers)
        value: str = r.json()["data"]["sync_status"]
        return value

    assert await eventually(local, lambda s: s == status) == status


def assert_each_once(sent: list[Json], expected: int) -> None:
    """The simulator accepted exactly `expected` messages, one per recipient."""
    recipients = [s["attendee_provider_id"] for s in sent]
    assert len(sent) == expected, f"{len(sent)} sent, {expected} expected"
    assert len(set(recipients)) == expected, "a recipient was messaged twice"
