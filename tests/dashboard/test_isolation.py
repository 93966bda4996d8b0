"""A user sees and changes only their own workspace: another workspace's ids are 404 pages,
exactly like ids that do not exist, and nothing of it is listed."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.apikeys.service import list_keys
from skylight.kit.db import transaction
from tests.dashboard.helpers import Login, browserless, make_login, signed_in
from tests.factories import TenantFixture
from tests.sandbox_flows import make_contact


async def test_another_workspaces_items_are_not_found(
    app: FastAPI,
    client: httpx.AsyncClient,
    login: Login,
    other_tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    other = await make_login(sessionmaker, other_tenant)
    theirs = await make_contact(
        client,
        other_tenant,
        name="Their Secret Customer",
        channel="whatsapp",
        phone="+966501234567",
    )
    sent = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": theirs["id"], "message": "private words"},
        headers=other_tenant.headers,
    )
    assert sent.status_code == 422  # no channel: stored as failed, in their inbox
    endpoint = await client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/hook"},
        headers=other_tenant.headers,
    )
    endpoint_id = endpoint.json()["data"]["id"]
    await client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/test", headers=other_tenant.headers)
    deliveries = await client.get(
        f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=other_tenant.headers
    )
    delivery_id = deliveries.json()["data"][0]["id"]
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Theirs",
            "channel": "whatsapp",
            "message": "x",
            "contact_ids": [theirs["id"]],
        },
        headers=other_tenant.headers,
    )
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["data"]["id"]
    async with transaction(sessionmaker) as session:
        their_keys = await list_keys(session, workspace_id=other_tenant.workspace_id)
        key_id = their_keys[0].id

    async with browserless(app) as http:
        token = await signed_in(http, login)
        for path in (
            f"/dashboard/inbox/{theirs['id']}",
            f"/dashboard/inbox/{theirs['id']}/thread",
        ):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "private words" not in response.text
        inbox = await http.get("/dashboard/inbox")
        assert "Their Secret Customer" not in inbox.text
        assert (await http.get("/dashboard/inbox/list")).text.count("conversation-") == 0

        write = {"csrf_token": token}
        send = await http.post(
            f"/dashboard/inbox/{theirs['id']}/send", data={**write, "message": "hi"}
        )
        assert send.status_code == 404
        hooks = await http.get("/dashboard/settings/webhooks")
        assert "127.0.0.1:9" not in hooks.text
        for path in (
            f"/dashboard/settings/webhooks/{endpoint_id}/test",
            f"/dashboard/settings/webhooks/{endpoint_id}/delete",
            f"/dashboard/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
            f"/dashboard/settings/api-keys/{key_id}/revoke",
            f"/dashboard/campaigns/{campaign_id}/cancel",
            f"/dashboard/campaigns/{campaign_id}/start",
        ):
            response = await http.post(path, data=write)
            assert response.status_code == 404, path
        keys_page = await http.get("/dashboard/settings/api-keys")
        assert other_tenant.key[:12] not in keys_page.text

    # Their own user still sees all of it, untouched.
    async with browserless(app) as http:
        await signed_in(http, other)
        page = await http.get(f"/dashboard/inbox/{theirs['id']}")
        assert page.status_code == 200
        assert "private words" in page.text
        assert "127.0.0.1:9" in (await http.get("/dashboard/settings/webhooks")).text
        assert "Theirs" in (await http.get("/dashboard/campaigns")).text
    still = await client.get("/api/v1/contacts", headers=other_tenant.headers)
    assert still.status_code == 200  # their key was not revoked
    state = await client.get(f"/api/v1/campaigns/{campaign_id}", headers=other_tenant.headers)
    assert state.json()["data"]["state"] == "draft"
