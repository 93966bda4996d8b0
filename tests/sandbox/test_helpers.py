"""Sandbox helpers: the caller's own mistakes are 4xx, never an upstream 502."""

from __future__ import annotations

import httpx

from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually


async def test_scanning_twice_or_a_replaced_account_is_a_client_error(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000700")
    again = await client.post(
        f"/api/v1/sandbox/accounts/{account_id}/scan", json={}, headers=tenant.headers
    )
    assert again.status_code == 409
    assert again.json()["success"] is False
    failed = await client.post(
        f"/api/v1/sandbox/accounts/{account_id}/fail", headers=tenant.headers
    )
    assert failed.status_code == 409


async def test_helpers_act_only_on_the_callers_accounts(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000701")
    for path, body in (("scan", {}), ("fail", None), ("status", {"status": "STOPPED"})):
        response = await client.post(
            f"/api/v1/sandbox/accounts/{account_id}/{path}", json=body, headers=other_tenant.headers
        )
        assert response.status_code == 404, path
    inbound = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": "+966500000070", "text": "hi"},
        headers=other_tenant.headers,
    )
    assert inbound.status_code == 422
    assert inbound.json()["message"] == "No whatsapp channel connected."
    assert (await client.get("/api/v1/sandbox/sent", headers=other_tenant.headers)).json()[
        "data"
    ] == []


async def test_blank_handles_are_422(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": "   ", "text": "hi"},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert "from" in response.json()["errors"] or "sender" in response.json()["errors"]


async def test_faults_are_the_callers_own(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    """One workspace's faults fail its own calls to Unipile and drop its own webhooks, never
    another workspace's (they share the sandbox's one simulator)."""
    await connect_qr_channel(client, other_tenant, "whatsapp", "+966500000702")
    faults = {"error_rate": 1.0, "webhook_drop_rate": 1.0}
    set_faults = await client.post("/api/v1/sandbox/faults", json=faults, headers=tenant.headers)
    assert set_faults.status_code == 200
    try:
        mine = await client.post("/api/v1/channels/telegram/connect", headers=tenant.headers)
        theirs = await client.post(
            "/api/v1/channels/telegram/connect", headers=other_tenant.headers
        )
        inbound = await client.post(
            "/api/v1/sandbox/inbound",
            json={"channel": "whatsapp", "from": "+966500000072", "text": "still here"},
            headers=other_tenant.headers,
        )
        assert inbound.status_code == 201

        async def received() -> list[str]:
            page = await client.get(
                "/api/v1/events", params={"type": "message.received"}, headers=other_tenant.headers
            )
            return [e["data"]["content"] for e in page.json()["data"]]

        assert await eventually(received, lambda texts: texts == ["still here"]) == ["still here"]
    finally:
        await client.post("/api/v1/sandbox/faults", json={}, headers=tenant.headers)
    assert mine.status_code in (502, 503)
    assert theirs.status_code == 200, theirs.text
