"""Sandbox helpers: the caller's own mistakes are 4xx, never an upstream 502."""

from __future__ import annotations

import httpx

from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel


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
