"""Telegram: QR connect, completion by the account_status webhook, and a failed attempt."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from skylight.integrations.unipile.errors import UnipileNotFound
from tests.channels.helpers import (
    API,
    CHANNEL_FIELDS,
    STATUS_FIELDS,
    completed,
    connect_qr,
    connected_qr,
    get_status,
    poll_local,
    poll_status,
    sandbox,
    scan,
    seed_headers,
    settled,
)
from tests.factories import TenantFixture

TG_MESSAGE = (
    "QR code generated. Open Telegram → Settings → Devices → Link Desktop Device, then scan."
)
TG_QR = re.compile(r"^tg://login\?token=[A-Za-z0-9_-]+$")


async def test_connect_returns_a_tg_login_qr(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await client.post(f"{API}/channels/telegram/connect", headers=seed_headers(tenant))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "success": True,
        "data": {"account_id": body["data"]["account_id"], "qr_code": body["data"]["qr_code"]},
        "message": TG_MESSAGE,
    }
    assert TG_QR.match(body["data"]["qr_code"]), body["data"]["qr_code"]
    waiting = (await get_status(client, tenant, "telegram", body["data"]["account_id"])).json()
    assert set(waiting["data"]) == STATUS_FIELDS
    assert (waiting["data"]["completed"], waiting["data"]["in_progress"]) == (False, True)


async def test_completion_arrives_by_the_account_status_webhook(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = (await connect_qr(client, tenant, "telegram"))["account_id"]
    await scan(client, tenant, account_id, "skylight_support")
    # GET /channels reads local records only: the change can only come from the webhook.
    local = await poll_local(client, tenant, "telegram", lambda row: row["is_connected"])
    assert set(local) == CHANNEL_FIELDS
    assert local["username"] == "skylight_support"
    assert local["sync_status"] in {"CONNECTING", "OK", "SYNC_SUCCESS"}
    status = await get_status(client, tenant, "telegram", account_id)
    data = status.json()["data"]
    assert (data["completed"], data["in_progress"], data["is_connected"]) == (True, False, True)
    assert data["username"] == "skylight_support"
    # The webhook sequence ends with SYNC_SUCCESS (CREATION_SUCCESS, OK, SYNC_SUCCESS).
    final = await poll_local(
        client, tenant, "telegram", lambda row: row["sync_status"] == "SYNC_SUCCESS"
    )
    assert final["is_connected"] is True


async def test_a_failed_attempt_reads_not_completed_and_not_in_progress(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = (await connect_qr(client, tenant, "telegram"))["account_id"]
    response = await sandbox(client, tenant, account_id, "fail")
    assert response.status_code == 200, response.text
    data = await poll_status(
        client, tenant, "telegram", account_id, lambda d: d["in_progress"] is False
    )
    assert set(data) == STATUS_FIELDS
    assert data["completed"] is False
    assert data["in_progress"] is False
    assert data["is_connected"] is False
    assert data["sync_status"] == "CREATION_FAIL"
    body = (await get_status(client, tenant, "telegram", account_id)).json()
    assert body["message"] == "The connection attempt failed. Connect again for a new QR code."
    # Generate a new QR code: the failed account is replaced and the new one connects.
    retry = await connect_qr(client, tenant, "telegram")
    assert TG_QR.match(retry["qr_code"])
    await scan(client, tenant, retry["account_id"], "second_try")
    done = await poll_status(client, tenant, "telegram", retry["account_id"], completed)
    assert (done["username"], done["is_connected"]) == ("second_try", True)


async def test_refresh_and_disconnect(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    connected = await connected_qr(client, tenant, "telegram", "tg_refresh")
    await settled(client, tenant, "telegram")
    refreshed = await client.post(f"{API}/channels/telegram/refresh", headers=tenant.headers)
    assert refreshed.status_code == 200
    assert refreshed.json()["data"] == {
        "id": connected["id"],
        "type": "telegram",
        "username": "tg_refresh",
        "is_connected": True,
        "sync_status": "OK",
        "last_synced_at": refreshed.json()["data"]["last_synced_at"],
    }
    again = await client.post(f"{API}/channels/telegram/connect", headers=tenant.headers)
    assert again.status_code == 409
    assert again.json()["message"] == "Telegram is already connected. Disconnect it first."
    gone = await client.post(f"{API}/channels/telegram/disconnect", headers=tenant.headers)
    assert (gone.status_code, gone.content) == (204, b"")
    assert (await get_status(client, tenant, "telegram")).status_code == 404
    with pytest.raises(UnipileNotFound):
        await app.state.unipile.get_account(connected["account_id"])


async def test_qr_svg_for_a_pending_telegram_attempt(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = (await connect_qr(client, tenant, "telegram"))["account_id"]
    response = await client.get(
        f"{API}/channels/telegram/qr.svg",
        params={"account_id": account_id},
        headers=seed_headers(tenant),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert "<svg" in response.text
    instagram = await client.get(
        f"{API}/channels/instagram/qr.svg",
        params={"account_id": account_id},
        headers=tenant.headers,
    )
    assert instagram.status_code == 404
    assert instagram.json() == {
        "success": False,
        "message": "Instagram does not use a QR code.",
    }


async def test_the_username_is_the_scanning_account_even_after_early_polls(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = (await connect_qr(client, tenant, "telegram"))["account_id"]
    for _ in range(2):
        # Each poll reads the pending account at Unipile, which has no identity yet.
        early = (await get_status(client, tenant, "telegram", account_id)).json()["data"]
        assert (early["username"], early["in_progress"]) == (None, True)
    await scan(client, tenant, account_id, "tg_identity")
    # Only the webhook completes it (GET /channels never asks Unipile).
    local = await poll_local(client, tenant, "telegram", lambda row: row["is_connected"])
    assert local["username"] == "tg_identity"
