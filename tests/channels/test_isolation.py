"""Another workspace's key sees none of this workspace's channels or account ids."""

from __future__ import annotations

import httpx

from tests.channels.helpers import (
    API,
    connect_instagram,
    connect_qr,
    connected_qr,
    get_status,
    sandbox,
    solve_2fa,
)
from tests.factories import TenantFixture


async def test_another_workspace_sees_404s(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    connected = await connected_qr(client, tenant, "whatsapp")
    pending = (await connect_qr(client, tenant, "telegram"))["account_id"]
    two_fa = await connect_instagram(client, tenant, username="2fa_private", password="pw")
    ig_account = two_fa.json()["data"]["account_id"]

    assert (await get_status(client, other_tenant, "whatsapp")).status_code == 404
    assert (
        await get_status(client, other_tenant, "whatsapp", connected["account_id"])
    ).status_code == 404
    assert (await get_status(client, other_tenant, "telegram", pending)).status_code == 404
    assert (await get_status(client, other_tenant, "instagram")).status_code == 404
    svg = await client.get(
        f"{API}/channels/telegram/qr.svg",
        params={"account_id": pending},
        headers=other_tenant.headers,
    )
    assert svg.status_code == 404
    assert (await solve_2fa(client, other_tenant, ig_account)).status_code == 404
    resend = await client.post(
        f"{API}/channels/instagram/2fa/resend",
        json={"account_id": ig_account},
        headers=other_tenant.headers,
    )
    assert resend.status_code == 404
    for account_id in (pending, connected["account_id"]):
        for action, body in (
            ("scan", {"username": "+966501234567"}),
            ("fail", None),
            ("status", {"status": "CREDENTIALS"}),
        ):
            response = await sandbox(client, other_tenant, account_id, action, body)
            assert response.status_code == 404, (action, response.text)
    for action in ("refresh", "disconnect"):
        response = await client.post(
            f"{API}/channels/whatsapp/{action}", headers=other_tenant.headers
        )
        assert response.status_code == 404
    listed = await client.get(f"{API}/channels", headers=other_tenant.headers)
    assert listed.json() == {"success": True, "data": []}

    # Nothing the other workspace tried changed ours: still connected, still pending.
    mine = (await get_status(client, tenant, "whatsapp")).json()["data"]
    assert (mine["is_connected"], mine["completed"]) == (True, True)
    theirs = (await get_status(client, tenant, "telegram", pending)).json()["data"]
    assert theirs["in_progress"] is True
    assert (await solve_2fa(client, tenant, ig_account)).status_code == 200
    # The same channel type connects independently in the other workspace.
    other = await connect_qr(client, other_tenant, "whatsapp")
    assert other["account_id"] != connected["account_id"]
