"""Every sync_status of the seed's table is reachable, and account_status webhooks keep the
channel current without a refresh."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.channels.helpers import (
    API,
    CHANNEL_FIELDS,
    STATUS_FIELDS,
    completed,
    connect_qr,
    connected_qr,
    poll_status,
    sandbox,
    scan,
    set_upstream_status,
)
from tests.factories import TenantFixture


def status_is(expected: str) -> Any:
    return lambda data: data["sync_status"] == expected


@pytest.mark.parametrize(
    ("upstream", "shown", "is_connected"),
    [
        ("CREDENTIALS", "CREDENTIALS", False),
        ("ERROR", "ERROR", False),
        ("STOPPED", "STOPPED", False),
        ("PERMISSIONS", "ERROR", False),
        ("CONNECTING", "CONNECTING", True),
        ("SYNC_SUCCESS", "SYNC_SUCCESS", True),
        ("OK", "OK", True),
    ],
)
async def test_an_upstream_status_shows_without_a_refresh(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    upstream: str,
    shown: str,
    is_connected: bool,
) -> None:
    connected = await connected_qr(client, tenant, "whatsapp")
    # Settle on the end of the login's webhook sequence first (…, OK, SYNC_SUCCESS).
    await poll_status(client, tenant, "whatsapp", None, status_is("SYNC_SUCCESS"))
    if upstream == "SYNC_SUCCESS":
        await set_upstream_status(client, tenant, connected["account_id"], "STOPPED")
        await poll_status(client, tenant, "whatsapp", None, status_is("STOPPED"))
    await set_upstream_status(client, tenant, connected["account_id"], upstream)
    data = await poll_status(client, tenant, "whatsapp", None, status_is(shown))
    assert set(data) == STATUS_FIELDS
    assert data["is_connected"] is is_connected
    assert data["completed"] is is_connected
    assert data["in_progress"] is False
    assert data["id"] == connected["id"]
    listed = await client.get(f"{API}/channels", headers=tenant.headers)
    assert [(c["sync_status"], c["is_connected"]) for c in listed.json()["data"]] == [
        (shown, is_connected)
    ]


async def test_credentials_then_refresh_then_recovery(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = (await connected_qr(client, tenant, "whatsapp"))["account_id"]
    await set_upstream_status(client, tenant, account_id, "CREDENTIALS")
    await poll_status(client, tenant, "whatsapp", None, status_is("CREDENTIALS"))
    refreshed = await client.post(f"{API}/channels/whatsapp/refresh", headers=tenant.headers)
    assert refreshed.status_code == 200
    assert set(refreshed.json()["data"]) == CHANNEL_FIELDS
    assert refreshed.json()["data"]["sync_status"] == "CREDENTIALS"
    assert refreshed.json()["data"]["is_connected"] is False
    # The session comes back (e.g. after a restart at Unipile): refresh shows it healthy again.
    await set_upstream_status(client, tenant, account_id, "OK")
    again = await client.post(f"{API}/channels/whatsapp/refresh", headers=tenant.headers)
    assert again.json()["data"]["sync_status"] == "OK"
    assert again.json()["data"]["is_connected"] is True


async def test_a_channel_needing_reconnect_can_connect_again(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    old = await connected_qr(client, tenant, "telegram", "tg_old")
    await set_upstream_status(client, tenant, old["account_id"], "CREDENTIALS")
    await poll_status(client, tenant, "telegram", None, status_is("CREDENTIALS"))
    # Reconnected, not replaced (Unipile keeps the account id, its chats and webhooks): a new
    # QR code for the same account.
    again = await connect_qr(client, tenant, "telegram")
    assert again["account_id"] == old["account_id"]
    await scan(client, tenant, again["account_id"], "tg_old")
    done = await poll_status(client, tenant, "telegram", again["account_id"], completed)
    assert (done["id"], done["username"], done["is_connected"]) == (old["id"], "tg_old", True)
    assert (await app.state.unipile.get_account(old["account_id"])).status == "OK"


async def test_creation_fail_and_connecting(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = (await connect_qr(client, tenant, "whatsapp"))["account_id"]
    waiting = await poll_status(client, tenant, "whatsapp", account_id, lambda d: True)
    assert (waiting["sync_status"], waiting["is_connected"]) == ("CONNECTING", False)
    assert (await sandbox(client, tenant, account_id, "fail")).status_code == 200
    failed = await poll_status(client, tenant, "whatsapp", account_id, status_is("CREATION_FAIL"))
    assert (failed["completed"], failed["in_progress"], failed["is_connected"]) == (
        False,
        False,
        False,
    )
    # Without account_id the status is the channel's current (failed) account.
    current = await poll_status(client, tenant, "whatsapp", None, lambda d: True)
    assert (current["sync_status"], current["completed"], current["in_progress"]) == (
        "CREATION_FAIL",
        False,
        False,
    )
