"""WhatsApp: every example of channels-api.txt, through the API in sandbox mode."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from skylight.integrations.unipile.errors import UnipileNotFound
from tests.channels.helpers import (
    API,
    CHANNEL_FIELDS,
    SAUDI_PHONE,
    STATUS_FIELDS,
    completed,
    connect_qr,
    connected_qr,
    get_status,
    poll_status,
    scan,
    seed_headers,
    settled,
)
from tests.factories import TenantFixture

WA_MESSAGE = (
    "QR code generated. Scan with WhatsApp on your phone: "
    "Settings → Linked devices → Link a device."
)


async def test_connect_returns_account_id_and_multi_device_qr(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await client.post(f"{API}/channels/whatsapp/connect", headers=seed_headers(tenant))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "message"}
    assert body["success"] is True
    assert body["message"] == WA_MESSAGE
    assert body["message"].startswith("QR code generated. Scan with WhatsApp on your phone")
    assert set(body["data"]) == {"account_id", "qr_code"}
    qr = body["data"]["qr_code"]
    assert qr.startswith("2@")
    assert len(qr.split(",")) == 4
    assert not qr.startswith(("http://", "https://"))


async def test_status_waits_for_the_scan_then_completes(
    client: httpx.AsyncClient, riyadh_tenant: TenantFixture
) -> None:
    tenant = riyadh_tenant
    account_id = (await connect_qr(client, tenant, "whatsapp"))["account_id"]
    waiting = await client.get(
        f"{API}/channels/whatsapp/status",
        params={"account_id": account_id},
        headers=seed_headers(tenant),
    )
    assert waiting.status_code == 200, waiting.text
    data = waiting.json()["data"]
    assert set(waiting.json()) == {"success", "data"}
    assert set(data) == STATUS_FIELDS
    assert (data["completed"], data["in_progress"]) == (False, True)
    assert data["is_connected"] is False
    assert data["sync_status"] == "CONNECTING"
    assert data["type"] == "whatsapp"
    assert data["username"] is None  # nobody has scanned yet

    await scan(client, tenant, account_id, SAUDI_PHONE)
    done = await poll_status(client, tenant, "whatsapp", account_id, completed)
    assert set(done) == STATUS_FIELDS
    assert done["id"] == data["id"]
    assert done["type"] == "whatsapp"
    assert done["username"] == SAUDI_PHONE
    assert done["is_connected"] is True
    assert done["sync_status"] in {"OK", "SYNC_SUCCESS"}
    assert (done["completed"], done["in_progress"]) == (True, False)
    # The seed shows the workspace's zone with its offset: 2026-03-11T10:00:00+03:00.
    synced = datetime.fromisoformat(done["last_synced_at"])
    assert synced.utcoffset() == timedelta(hours=3)
    assert done["last_synced_at"].endswith("+03:00")
    assert len(done["last_synced_at"]) == len("2026-03-11T10:00:00+03:00")


async def test_status_without_account_id_is_the_connected_account(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    connected = await connected_qr(client, tenant, "whatsapp")
    response = await get_status(client, tenant, "whatsapp")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == STATUS_FIELDS
    assert data["id"] == connected["id"]
    assert data["username"] == SAUDI_PHONE
    assert (data["is_connected"], data["completed"], data["in_progress"]) == (True, True, False)


async def test_status_without_any_channel_is_404(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await get_status(client, tenant, "whatsapp")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "WhatsApp is not connected."}


async def test_refresh_returns_the_updated_channel_object(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    connected = await connected_qr(client, tenant, "whatsapp")
    await settled(client, tenant, "whatsapp")
    response = await client.post(f"{API}/channels/whatsapp/refresh", headers=seed_headers(tenant))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data"}
    assert set(body["data"]) == CHANNEL_FIELDS
    assert body["data"] == {
        "id": connected["id"],
        "type": "whatsapp",
        "username": SAUDI_PHONE,
        "is_connected": True,
        "sync_status": "OK",  # Unipile's source status is OK
        "last_synced_at": body["data"]["last_synced_at"],
    }
    assert body["data"]["last_synced_at"] >= connected["last_synced_at"]


async def test_connect_when_connected_is_409(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connected_qr(client, tenant, "whatsapp")
    response = await client.post(f"{API}/channels/whatsapp/connect", headers=tenant.headers)
    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": "WhatsApp is already connected. Disconnect it first.",
    }


async def test_a_new_connect_replaces_the_pending_attempt(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    first = (await connect_qr(client, tenant, "whatsapp"))["account_id"]
    second = await connect_qr(client, tenant, "whatsapp")
    assert second["account_id"] != first
    assert second["qr_code"].startswith("2@")

    old = await get_status(client, tenant, "whatsapp", first)
    assert old.status_code == 200
    assert (old.json()["data"]["completed"], old.json()["data"]["in_progress"]) == (False, False)
    # The superseded account is removed at Unipile, so it cannot connect behind our back.
    with pytest.raises(UnipileNotFound):
        await app.state.unipile.get_account(first)

    await scan(client, tenant, second["account_id"])
    done = await poll_status(client, tenant, "whatsapp", second["account_id"], completed)
    assert done["is_connected"] is True
    old_after = (await get_status(client, tenant, "whatsapp", first)).json()["data"]
    assert (old_after["completed"], old_after["in_progress"]) == (False, False)


async def test_disconnect_removes_local_settings_and_the_unipile_account(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    account_id = (await connected_qr(client, tenant, "whatsapp"))["account_id"]
    response = await client.post(
        f"{API}/channels/whatsapp/disconnect", headers=seed_headers(tenant)
    )
    assert response.status_code == 204
    assert response.content == b""
    assert (await get_status(client, tenant, "whatsapp")).status_code == 404
    assert (await get_status(client, tenant, "whatsapp", account_id)).status_code == 404
    listed = await client.get(f"{API}/channels", headers=tenant.headers)
    assert listed.json()["data"] == []
    with pytest.raises(UnipileNotFound):
        await app.state.unipile.get_account(account_id)
    again = await client.post(f"{API}/channels/whatsapp/disconnect", headers=tenant.headers)
    assert again.status_code == 404
    # And a fresh connect works again after a disconnect.
    assert (await connect_qr(client, tenant, "whatsapp"))["qr_code"].startswith("2@")


async def test_qr_svg_renders_the_pending_code(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = (await connect_qr(client, tenant, "whatsapp"))["account_id"]
    response = await client.get(
        f"{API}/channels/whatsapp/qr.svg",
        params={"account_id": account_id},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<?xml")
    assert "<svg" in response.text
    await scan(client, tenant, account_id)
    await poll_status(client, tenant, "whatsapp", account_id, completed)
    used = await client.get(
        f"{API}/channels/whatsapp/qr.svg",
        params={"account_id": account_id},
        headers=tenant.headers,
    )
    assert used.status_code == 422
    assert used.json()["success"] is False
