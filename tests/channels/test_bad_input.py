"""Bad input: unknown channels, invalid fields, unknown account ids, auth."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.channels.helpers import (
    API,
    connect_qr,
    get_status,
    sandbox,
    solve_2fa,
)
from tests.factories import TenantFixture

UNKNOWN = "Unknown channel 'sms'. Use whatsapp, telegram or instagram."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/channels/sms/connect"),
        ("GET", "/channels/sms/status"),
        ("GET", "/channels/sms/qr.svg?account_id=x"),
        ("POST", "/channels/sms/refresh"),
        ("POST", "/channels/sms/disconnect"),
    ],
)
async def test_unknown_channel_is_404_in_the_envelope(
    client: httpx.AsyncClient, tenant: TenantFixture, method: str, path: str
) -> None:
    response = await client.request(method, API + path, headers=tenant.headers)
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": UNKNOWN}


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/channels/instagram/connect", {}, {"username", "password"}),
        ("/channels/instagram/connect", {"username": "a"}, {"password"}),
        ("/channels/instagram/connect", {"password": "p"}, {"username"}),
        ("/channels/instagram/connect", {"username": "", "password": "p"}, {"username"}),
        ("/channels/instagram/connect", {"username": "   ", "password": "p"}, {"username"}),
        ("/channels/instagram/connect", {"username": "a", "password": ""}, {"password"}),
        ("/channels/instagram/connect", {"username": "a" * 256, "password": "p"}, {"username"}),
        ("/channels/instagram/connect", {"username": "a\u0000", "password": "p"}, {"username"}),
        ("/channels/instagram/connect", {"username": 5, "password": "p"}, {"username"}),
        ("/channels/instagram/connect", {"username": "a", "password": "p", "x": 1}, {"x"}),
        ("/channels/instagram/2fa", {}, {"account_id", "code"}),
        ("/channels/instagram/2fa", {"account_id": "abc"}, {"code"}),
        ("/channels/instagram/2fa", {"account_id": "abc", "code": ""}, {"code"}),
        ("/channels/instagram/2fa", {"account_id": "", "code": "1"}, {"account_id"}),
        ("/channels/instagram/2fa", {"account_id": "  ", "code": "  "}, {"account_id", "code"}),
        ("/channels/instagram/2fa", {"account_id": "a" * 129, "code": "1"}, {"account_id"}),
        ("/channels/instagram/2fa/resend", {}, {"account_id"}),
        ("/channels/instagram/2fa/resend", {"account_id": ["a"]}, {"account_id"}),
    ],
)
async def test_invalid_fields_are_422_per_field(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    path: str,
    body: dict[str, Any],
    fields: set[str],
) -> None:
    response = await client.post(API + path, json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["success"] is False
    assert payload["message"] == "The given data was invalid."
    assert set(payload["errors"]) == fields


async def test_malformed_json_is_400(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post(
        f"{API}/channels/instagram/connect",
        content=b"{not json",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/channels/whatsapp/qr.svg", {"account_id"}),
        ("/channels/telegram/qr.svg?account_id=", {"account_id"}),
        (f"/channels/whatsapp/status?account_id={'a' * 129}", {"account_id"}),
    ],
)
async def test_invalid_query_is_422(
    client: httpx.AsyncClient, tenant: TenantFixture, path: str, fields: set[str]
) -> None:
    response = await client.get(API + path, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert set(response.json()["errors"]) == fields


async def test_unknown_account_ids_are_404(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    # A real pending Telegram attempt: asking for it under another channel is also unknown.
    telegram = (await connect_qr(client, tenant, "telegram"))["account_id"]
    for unknown in ("no_such_account", telegram):
        status = await get_status(client, tenant, "whatsapp", unknown)
        assert status.status_code == 404
        assert status.json() == {
            "success": False,
            "message": "No WhatsApp connection attempt with this account_id.",
        }
        svg = await client.get(
            f"{API}/channels/whatsapp/qr.svg",
            params={"account_id": unknown},
            headers=tenant.headers,
        )
        assert svg.status_code == 404
        assert svg.json()["message"] == "No WhatsApp QR code with this account_id."
        two_fa = await solve_2fa(client, tenant, unknown)
        assert two_fa.status_code == 404
        assert two_fa.json() == {
            "success": False,
            "message": "No Instagram connection attempt with this account_id.",
        }
        resend = await client.post(
            f"{API}/channels/instagram/2fa/resend",
            json={"account_id": unknown},
            headers=tenant.headers,
        )
        assert resend.status_code == 404
    for action, body in (("scan", {"username": "+966501234567"}), ("fail", None)):
        response = await sandbox(client, tenant, "no_such_account", action, body)
        assert response.status_code == 404
        assert response.json()["success"] is False


async def test_both_auth_headers_and_none(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    account_id = (await connect_qr(client, tenant, "whatsapp"))["account_id"]
    path = f"{API}/channels/whatsapp/status?account_id={account_id}"
    bearer = await client.get(path, headers={"Authorization": f"Bearer {tenant.key}"})
    api_key = await client.get(path, headers={"X-Api-Key": tenant.key})
    assert bearer.status_code == api_key.status_code == 200
    assert bearer.json()["data"]["id"] == api_key.json()["data"]["id"]
    for headers in ({}, {"X-Api-Key": "sk_test_wrong"}):
        denied = await client.post(f"{API}/channels/whatsapp/connect", headers=headers)
        assert denied.status_code == 401
        assert denied.json()["success"] is False
