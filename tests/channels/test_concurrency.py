"""Racing connects (a double click, two tabs): never a 500, never an account left at Unipile
that no channel tracks."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from fastapi import FastAPI

from skylight.integrations.unipile.errors import UnipileNotFound
from tests.channels.helpers import API, completed, get_status, poll_status, scan
from tests.factories import TenantFixture

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize("channel", ["whatsapp", "telegram"])
async def test_racing_qr_connects_leave_one_pending_attempt(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI, channel: str
) -> None:
    url = f"{API}/channels/{channel}/connect"
    responses = await asyncio.gather(*(client.post(url, headers=tenant.headers) for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    account_ids = [r.json()["data"]["account_id"] for r in responses]
    pending = []
    for account_id in account_ids:
        data = (await get_status(client, tenant, channel, account_id)).json()["data"]
        if data["in_progress"]:
            pending.append(account_id)
        else:
            assert data["completed"] is False
            with pytest.raises(UnipileNotFound):
                await app.state.unipile.get_account(account_id)
    assert len(pending) == 1
    await scan(client, tenant, pending[0], "+966501234567" if channel == "whatsapp" else "tg_race")
    done = await poll_status(client, tenant, channel, pending[0], completed)
    assert done["is_connected"] is True


async def test_racing_instagram_connects_one_wins_the_rest_are_409(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    names = [f"race_{secrets.token_hex(4)}" for _ in range(4)]
    responses = await asyncio.gather(
        *(
            client.post(
                f"{API}/channels/instagram/connect",
                json={"username": name, "password": "pw"},
                headers=tenant.headers,
            )
            for name in names
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409], [r.text for r in responses]
    winner = next(r.json()["data"] for r in responses if r.status_code == 200)
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {
                "success": False,
                "message": "Instagram is already connected. Disconnect it first.",
            }
    status = (await get_status(client, tenant, "instagram")).json()["data"]
    assert (status["id"], status["username"]) == (winner["id"], winner["username"])
    # Only the winner's account is left at Unipile.
    upstream = [account.name async for account in app.state.unipile.iter_accounts()]
    assert [name for name in names if name in upstream] == [winner["username"]]
