"""Instagram: credentials, inline 2FA rounds, resend, status, refresh, disconnect."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from skylight.integrations.unipile.errors import UnipileNotFound
from tests.channels.helpers import (
    API,
    CHANNEL_FIELDS,
    connect_instagram,
    get_status,
    poll_local,
    seed_headers,
    settled,
    solve_2fa,
)
from tests.factories import TenantFixture

CODE_SENT = "A verification code has been sent. Submit it to POST /channels/instagram/2fa."
ANOTHER_ROUND = "Additional verification required. Submit your code again."
CONNECTED = "Instagram connected successfully. Account is syncing."


async def test_connected_immediately_gives_the_channel_object(
    client: httpx.AsyncClient, riyadh_tenant: TenantFixture
) -> None:
    response = await client.post(
        f"{API}/channels/instagram/connect",
        json={"username": "my_brand", "password": "secret", "country": "SA"},
        headers={**seed_headers(riyadh_tenant), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data"}
    data = body["data"]
    assert set(data) == CHANNEL_FIELDS
    assert data == {
        "id": data["id"],
        "type": "instagram",
        "username": "my_brand",
        "is_connected": True,
        "sync_status": "OK",
        "last_synced_at": data["last_synced_at"],
    }
    assert isinstance(data["id"], int)
    assert data["last_synced_at"].endswith("+03:00")
    status = await get_status(client, riyadh_tenant, "instagram")
    assert status.status_code == 200
    # "Returns the channel object", from local records.
    assert set(status.json()) == {"success", "data"}
    assert set(status.json()["data"]) == CHANNEL_FIELDS
    assert status.json()["data"]["id"] == data["id"]
    assert status.json()["data"]["is_connected"] is True


async def test_two_factor_then_connected_then_ok_by_webhook(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await connect_instagram(client, tenant, username="2fa_brand", password="secret")
    assert response.status_code == 200, response.text
    body = response.json()
    account_id = body["data"]["account_id"]
    assert body == {
        "success": True,
        "data": {"requires_2fa": True, "account_id": account_id, "checkpoint_type": "OTP"},
        "message": CODE_SENT,
    }
    pending = (await get_status(client, tenant, "instagram")).json()["data"]
    assert (pending["is_connected"], pending["sync_status"]) == (False, "CONNECTING")

    solved = await client.post(
        f"{API}/channels/instagram/2fa",
        json={"account_id": account_id, "code": "123456"},
        headers=seed_headers(tenant),
    )
    assert solved.status_code == 200, solved.text
    body = solved.json()
    assert body["message"] == CONNECTED
    assert set(body["data"]) == CHANNEL_FIELDS
    assert body["data"]["id"] == pending["id"]
    assert body["data"]["type"] == "instagram"
    assert body["data"]["username"] == "2fa_brand"
    assert body["data"]["is_connected"] is True
    assert body["data"]["sync_status"] == "CONNECTING"

    # Unipile finishes the login a moment later; its account_status webhooks move us on.
    healthy = await poll_local(
        client, tenant, "instagram", lambda row: row["sync_status"] in {"OK", "SYNC_SUCCESS"}
    )
    assert healthy["is_connected"] is True
    final = await poll_local(
        client, tenant, "instagram", lambda row: row["sync_status"] == "SYNC_SUCCESS"
    )
    assert final["is_connected"] is True


async def test_two_rounds_of_verification(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    first = await connect_instagram(client, tenant, username="2fa2_brand", password="secret")
    account_id = first.json()["data"]["account_id"]
    round_two = await solve_2fa(client, tenant, account_id)
    assert round_two.status_code == 200, round_two.text
    assert round_two.json() == {
        "success": True,
        "data": {"requires_2fa": True, "account_id": account_id, "checkpoint_type": "OTP"},
        "message": ANOTHER_ROUND,
    }
    done = await solve_2fa(client, tenant, account_id)
    assert done.status_code == 200, done.text
    assert done.json()["message"] == CONNECTED
    assert done.json()["data"]["is_connected"] is True
    again = await solve_2fa(client, tenant, account_id)
    assert again.status_code == 422
    assert again.json()["message"] == (
        "This verification is already complete; Instagram is connected."
    )


async def test_wrong_code_is_422_and_the_round_stays_open(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    first = await connect_instagram(client, tenant, username="2fa_wrong", password="secret")
    account_id = first.json()["data"]["account_id"]
    wrong = await solve_2fa(client, tenant, account_id, code="000000")
    assert wrong.status_code == 422
    assert wrong.json() == {
        "success": False,
        "message": "The verification code is not valid. Check it and try again.",
        "errors": {"code": ["Invalid verification code."]},
    }
    assert (await get_status(client, tenant, "instagram")).json()["data"]["is_connected"] is False
    right = await solve_2fa(client, tenant, account_id)
    assert right.status_code == 200, right.text
    assert right.json()["message"] == CONNECTED


async def test_resend_the_code(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    first = await connect_instagram(client, tenant, username="2fa_resend", password="secret")
    account_id = first.json()["data"]["account_id"]
    response = await client.post(
        f"{API}/channels/instagram/2fa/resend",
        json={"account_id": account_id},
        headers=seed_headers(tenant),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "message": "Verification code resent successfully.",
    }
    assert (await solve_2fa(client, tenant, account_id)).status_code == 200


async def test_wrong_password_is_422_and_nothing_is_saved(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await connect_instagram(
        client, tenant, username="my_brand", password="wrong-password"
    )
    assert response.status_code == 422
    assert response.json() == {
        "success": False,
        "message": "Instagram did not accept this username and password.",
        "errors": {"password": ["The username or password is incorrect."]},
    }
    assert (await get_status(client, tenant, "instagram")).status_code == 404


# The seed documents SA as the default; Unipile gets a country (and places its proxy there)
# only when the user gives one: no hidden SA proxy.
@pytest.mark.parametrize(
    ("given", "sent"), [(None, None), ("AE", "AE"), ("eg", "EG"), ("SA", "SA")]
)
async def test_country_reaches_unipile_only_when_given(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    app: FastAPI,
    given: str | None,
    sent: str | None,
) -> None:
    body = {"username": "2fa_country", "password": "secret"}
    if given is not None:
        body["country"] = given
    response = await connect_instagram(client, tenant, **body)
    assert response.status_code == 200, response.text
    account = await app.state.unipile.get_account(response.json()["data"]["account_id"])
    assert (account.model_extra or {}).get("country") == sent


@pytest.mark.parametrize("country", ["XX", "SAU", "S", "", "1A", 966])
async def test_invalid_country_is_422(
    client: httpx.AsyncClient, tenant: TenantFixture, country: object
) -> None:
    response = await connect_instagram(
        client, tenant, username="my_brand", password="secret", country=country
    )
    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == ["country"]
    assert (await get_status(client, tenant, "instagram")).status_code == 404


async def test_refresh_then_disconnect(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    connect = await connect_instagram(client, tenant, username="2fa_cycle", password="secret")
    account_id = connect.json()["data"]["account_id"]
    connected = (await solve_2fa(client, tenant, account_id)).json()["data"]
    await settled(client, tenant, "instagram")
    refreshed = await client.post(f"{API}/channels/instagram/refresh", headers=tenant.headers)
    assert refreshed.status_code == 200
    assert refreshed.json()["data"] == {
        **connected,
        "sync_status": "OK",
        "last_synced_at": refreshed.json()["data"]["last_synced_at"],
    }
    again = await connect_instagram(client, tenant, username="other", password="secret")
    assert again.status_code == 409
    gone = await client.post(f"{API}/channels/instagram/disconnect", headers=tenant.headers)
    assert (gone.status_code, gone.content) == (204, b"")
    assert (await get_status(client, tenant, "instagram")).status_code == 404
    with pytest.raises(UnipileNotFound):
        await app.state.unipile.get_account(account_id)


async def test_a_new_connect_replaces_a_pending_verification(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    old = await connect_instagram(client, tenant, username="2fa_old", password="secret")
    old_id = old.json()["data"]["account_id"]
    new = await connect_instagram(client, tenant, username="2fa_new", password="secret")
    new_id = new.json()["data"]["account_id"]
    assert new_id != old_id
    stale = await solve_2fa(client, tenant, old_id)
    assert stale.status_code == 422
    assert stale.json()["errors"] == {"account_id": ["The attempt is no longer open."]}
    with pytest.raises(UnipileNotFound):
        await app.state.unipile.get_account(old_id)
    done = await solve_2fa(client, tenant, new_id)
    assert done.status_code == 200
    assert (done.json()["data"]["username"], done.json()["data"]["is_connected"]) == (
        "2fa_new",
        True,
    )
