"""Attempts expire (Unipile's login intents live five minutes), and an expired one says so."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.channels.models import ChannelAttempt
from skylight.kit.time import utcnow
from tests.channels.helpers import (
    API,
    completed,
    connect_instagram,
    connect_qr,
    get_status,
    poll_status,
    scan,
    solve_2fa,
)
from tests.factories import TenantFixture


async def expire(maker: async_sessionmaker[AsyncSession], account_id: str) -> None:
    """Time passes: the attempt's window closed a second ago."""
    async with maker() as session, session.begin():
        await session.execute(
            update(ChannelAttempt)
            .where(ChannelAttempt.unipile_account_id == account_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


async def test_an_expired_qr_attempt_says_so(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = (await connect_qr(client, tenant, "whatsapp"))["account_id"]
    await expire(sessionmaker, account_id)
    response = await get_status(client, tenant, "whatsapp", account_id)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == (
        "The connection attempt expired before it was completed. Connect again for a new QR code."
    )
    data = body["data"]
    assert (data["completed"], data["in_progress"], data["is_connected"]) == (False, False, False)
    assert data["sync_status"] == "CREATION_FAIL"
    svg = await client.get(
        f"{API}/channels/whatsapp/qr.svg", params={"account_id": account_id}, headers=tenant.headers
    )
    assert svg.status_code == 422
    assert svg.json() == {
        "success": False,
        "message": "This QR code is no longer valid. Connect again for a new one.",
    }
    # Connecting again is the way out.
    assert (await connect_qr(client, tenant, "whatsapp"))["qr_code"].startswith("2@")


async def test_an_expired_2fa_attempt_says_so(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    response = await connect_instagram(client, tenant, username="2fa_late", password="pw")
    account_id = response.json()["data"]["account_id"]
    await expire(sessionmaker, account_id)
    expired = {
        "success": False,
        "message": "This verification attempt has expired or ended. "
        "Connect again to get a new code.",
        "errors": {"account_id": ["The attempt is no longer open."]},
    }
    late = await solve_2fa(client, tenant, account_id)
    assert late.status_code == 422
    assert late.json() == expired
    resend = await client.post(
        f"{API}/channels/instagram/2fa/resend",
        json={"account_id": account_id},
        headers=tenant.headers,
    )
    assert resend.status_code == 422
    assert resend.json() == expired
    status = (await get_status(client, tenant, "instagram")).json()["data"]
    assert (status["is_connected"], status["sync_status"]) == (False, "CREATION_FAIL")
    fresh = await connect_instagram(client, tenant, username="2fa_late", password="pw")
    assert (await solve_2fa(client, tenant, fresh.json()["data"]["account_id"])).status_code == 200


async def test_a_scan_just_after_the_local_expiry_still_connects(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Our clock and Unipile's differ a little: if Unipile still took the scan, the account is
    connected, and status must not call that a failure."""
    account_id = (await connect_qr(client, tenant, "telegram"))["account_id"]
    await expire(sessionmaker, account_id)
    expired = (await get_status(client, tenant, "telegram", account_id)).json()["data"]
    assert (expired["in_progress"], expired["sync_status"]) == (False, "CREATION_FAIL")
    await scan(client, tenant, account_id, "tg_late")
    done = await poll_status(client, tenant, "telegram", account_id, completed)
    assert (done["in_progress"], done["is_connected"], done["username"]) == (False, True, "tg_late")
    response = await get_status(client, tenant, "telegram", account_id)
    assert "message" not in response.json()
