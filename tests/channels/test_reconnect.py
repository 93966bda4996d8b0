"""An account that needs its owner again is reconnected with POST /accounts/{id}: the same
account id, so its chats (and our records of them) are kept, instead of a new account."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.channels.helpers import API, connect_instagram, poll_local, set_upstream_status
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact, sent_log

pytestmark = pytest.mark.both_databases


async def _send(
    client: httpx.AsyncClient, tenant: TenantFixture, contact_id: int, text: str
) -> None:
    response = await client.post(
        f"{API}/messages/send",
        json={"contact_id": contact_id, "message": text},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text


async def test_a_qr_channel_needing_its_owner_keeps_its_account_and_chats(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000601")
    contact = await make_contact(
        client, tenant, name="K", channel="whatsapp", phone="+966501000061"
    )
    await _send(client, tenant, contact["id"], "before")
    await set_upstream_status(client, tenant, account_id, "CREDENTIALS")
    await poll_local(client, tenant, "whatsapp", lambda c: c["sync_status"] == "CREDENTIALS")

    again = await client.post(f"{API}/channels/whatsapp/connect", headers=tenant.headers)
    assert again.status_code == 200, again.text
    assert again.json()["data"]["account_id"] == account_id  # not a new account
    assert (await app.state.unipile.get_account(account_id)).status == "CREDENTIALS"
    scan = await client.post(
        f"{API}/sandbox/accounts/{account_id}/scan", json={}, headers=tenant.headers
    )
    assert scan.status_code == 200, scan.text
    back = await poll_local(client, tenant, "whatsapp", lambda c: c["sync_status"] == "OK")
    assert back["is_connected"] is True

    await _send(client, tenant, contact["id"], "after")
    sent = await sent_log(client, tenant)
    assert {s["text"] for s in sent} == {"before", "after"}
    assert len({s["chat_id"] for s in sent}) == 1  # the same chat, kept by Unipile


async def test_instagram_needing_its_owner_logs_the_same_account_in_again(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    first = await connect_instagram(client, tenant, username="shop_601", password="pw")
    assert first.status_code == 200, first.text
    accounts = [a async for a in app.state.unipile.iter_accounts() if a.name == "shop_601"]
    [account] = accounts
    await set_upstream_status(client, tenant, account.id, "CREDENTIALS")
    await poll_local(client, tenant, "instagram", lambda c: c["sync_status"] == "CREDENTIALS")

    again = await connect_instagram(client, tenant, username="shop_601", password="new-pw")
    assert again.status_code == 200, again.text
    assert again.json()["data"]["sync_status"] == "OK"
    after = [a async for a in app.state.unipile.iter_accounts() if a.name == "shop_601"]
    assert [a.id for a in after] == [account.id]  # reconnected, not replaced
    status = await eventually(
        lambda: client.get(f"{API}/channels/instagram/status", headers=tenant.headers),
        lambda r: r.json()["data"]["sync_status"] == "OK",
    )
    assert status.json()["data"]["is_connected"] is True
