"""The connect-flow summary at the end of channels-api.txt, step by step, for each channel."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.channels.helpers import (
    API,
    POLL_SECONDS,
    POLL_STEP,
    connect_instagram,
    sandbox,
    seed_headers,
    solve_2fa,
)
from tests.factories import TenantFixture


@pytest.mark.parametrize(
    ("channel", "scanner"), [("whatsapp", "+966501234567"), ("telegram", "tg_flow")]
)
async def test_qr_flow(
    client: httpx.AsyncClient, tenant: TenantFixture, channel: str, scanner: str
) -> None:
    headers = seed_headers(tenant)
    # 1. POST /channels/{channel}/connect -> { account_id, qr_code }
    connect = await client.post(f"{API}/channels/{channel}/connect", headers=headers)
    assert connect.status_code == 200
    account_id = connect.json()["data"]["account_id"]
    assert connect.json()["data"]["qr_code"]
    # 2. Render qr_code as a QR image (or let the server do it) for the user to scan.
    image = await client.get(
        f"{API}/channels/{channel}/qr.svg", params={"account_id": account_id}, headers=headers
    )
    assert image.headers["content-type"] == "image/svg+xml"
    scanned = await sandbox(client, tenant, account_id, "scan", {"username": scanner})
    assert scanned.status_code == 200
    # 3. GET /channels/{channel}/status?account_id={id}, polled until completed: true.
    data: dict[str, object] = {}
    for _ in range(int(POLL_SECONDS / POLL_STEP)):
        status = await client.get(
            f"{API}/channels/{channel}/status", params={"account_id": account_id}, headers=headers
        )
        assert status.status_code == 200
        data = status.json()["data"]
        if data["completed"] is True:
            break
        assert data["in_progress"] is True
        await asyncio.sleep(POLL_STEP)
    assert (data["completed"], data["in_progress"], data["is_connected"]) == (True, False, True)
    assert data["username"] == scanner


@pytest.mark.parametrize(
    ("username", "rounds"), [("ig_flow", 0), ("2fa_flow", 1), ("2fa2_flow", 2)]
)
async def test_instagram_flow(
    client: httpx.AsyncClient, tenant: TenantFixture, username: str, rounds: int
) -> None:
    # 1. POST /channels/instagram/connect { username, password }
    response = await connect_instagram(client, tenant, username=username, password="pw")
    assert response.status_code == 200
    data = response.json()["data"]
    # 2. (If 2FA) POST /channels/instagram/2fa { account_id, code }; another round -> repeat.
    solved = 0
    while data.get("requires_2fa") is True:
        assert data["checkpoint_type"] == "OTP"
        response = await solve_2fa(client, tenant, data["account_id"])
        assert response.status_code == 200
        data = response.json()["data"]
        solved += 1
        assert solved <= rounds
    assert solved == rounds
    assert data["is_connected"] is True
    assert data["username"] == username
