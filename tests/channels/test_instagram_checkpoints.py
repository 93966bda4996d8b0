"""Instagram's answers told apart by Unipile's error type and checkpoint kind: an in-app
approval or a captcha is never "enter the code", a captcha refusal or a login already in
progress is not a wrong password."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from skylight.channels.instagram_errors import CAPTCHA, IN_APP
from tests.channels.helpers import connect_instagram, get_status, poll_local, solve_2fa
from tests.factories import TenantFixture


async def test_in_app_validation_is_approved_in_the_app_not_with_a_code(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    first = await connect_instagram(client, tenant, username="inapp_shop", password="pw")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["data"]["checkpoint_type"] == "IN_APP_VALIDATION"
    assert body["message"] == IN_APP
    account_id = body["data"]["account_id"]
    code = await solve_2fa(client, tenant, account_id)
    assert code.status_code == 422
    assert code.json()["message"] == IN_APP
    await app.state.simulator.approve(account_id)
    connected = await poll_local(client, tenant, "instagram", lambda c: c["is_connected"])
    assert connected["username"] == "inapp_shop"


async def test_a_captcha_checkpoint_says_so(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    first = await connect_instagram(client, tenant, username="arkose_shop", password="pw")
    assert first.status_code == 200, first.text
    assert first.json()["data"]["checkpoint_type"] == "CAPTCHA"
    assert first.json()["message"] == CAPTCHA
    code = await solve_2fa(client, tenant, first.json()["data"]["account_id"])
    assert code.status_code == 422
    assert code.json()["message"] == CAPTCHA


async def test_a_captcha_refusal_is_not_a_wrong_password(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    refused = await connect_instagram(client, tenant, username="captcha_shop", password="pw")
    assert refused.status_code == 422
    assert refused.json()["message"] == CAPTCHA
    assert list(refused.json()["errors"]) == ["username"]
    assert (await get_status(client, tenant, "instagram")).status_code == 404


async def test_a_login_already_in_progress_is_a_conflict(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    busy = await connect_instagram(client, tenant, username="busy_shop", password="pw")
    assert busy.status_code == 409
    assert "already in progress" in busy.json()["message"]
