"""Unipile failing: 502/503 with the reason in the envelope, and nothing half-written."""

from __future__ import annotations

import httpx

from tests.channels.conftest import SetFaults
from tests.channels.helpers import (
    API,
    SAUDI_PHONE,
    completed,
    connect_instagram,
    connect_qr,
    connected_qr,
    get_status,
    poll_status,
    scan,
    settled,
    solve_2fa,
)
from tests.factories import TenantFixture


def assert_upstream_failure(response: httpx.Response) -> None:
    assert response.status_code in (502, 503), response.text
    body = response.json()
    assert body["success"] is False
    # The reason is in the envelope: Unipile's own title, and its status and type as data.
    if response.status_code == 502:
        assert body["message"] in {
            "Unipile failed: Service unavailable",
            "Unipile failed: An unexpected error occurred",
        }
        assert body["data"]["upstream_status"] in (500, 503)
        assert body["data"]["upstream_type"] in (
            "errors/service_unavailable",
            "errors/unexpected_error",
        )
    else:
        assert body["message"].startswith("Unipile ")


async def test_connect_fails_and_creates_nothing(
    client: httpx.AsyncClient, tenant: TenantFixture, faults: SetFaults
) -> None:
    await faults(error_rate=1.0)
    for channel in ("whatsapp", "telegram"):
        response = await client.post(f"{API}/channels/{channel}/connect", headers=tenant.headers)
        assert_upstream_failure(response)
        assert (await get_status(client, tenant, channel)).status_code == 404
    instagram = await connect_instagram(client, tenant, username="my_brand", password="pw")
    assert_upstream_failure(instagram)
    assert (await get_status(client, tenant, "instagram")).status_code == 404
    listed = await client.get(f"{API}/channels", headers=tenant.headers)
    assert listed.json()["data"] == []
    # Once Unipile is back, the same calls work.
    await faults()
    ok = await client.post(f"{API}/channels/whatsapp/connect", headers=tenant.headers)
    assert ok.status_code == 200


async def test_refresh_and_disconnect_fail_without_changing_the_channel(
    client: httpx.AsyncClient, tenant: TenantFixture, faults: SetFaults
) -> None:
    await connected_qr(client, tenant, "whatsapp")
    await settled(client, tenant, "whatsapp")
    before = (await get_status(client, tenant, "whatsapp")).json()["data"]
    await faults(error_rate=1.0)
    # GET and DELETE are retried (a bounded number of times) before giving up.
    assert_upstream_failure(
        await client.post(f"{API}/channels/whatsapp/refresh", headers=tenant.headers)
    )
    assert_upstream_failure(
        await client.post(f"{API}/channels/whatsapp/disconnect", headers=tenant.headers)
    )
    after = (await get_status(client, tenant, "whatsapp")).json()["data"]
    assert after == before
    await faults()
    gone = await client.post(f"{API}/channels/whatsapp/disconnect", headers=tenant.headers)
    assert gone.status_code == 204


async def test_a_failed_2fa_solve_keeps_the_round_open(
    client: httpx.AsyncClient, tenant: TenantFixture, faults: SetFaults
) -> None:
    response = await connect_instagram(client, tenant, username="2fa_faulty", password="pw")
    account_id = response.json()["data"]["account_id"]
    await faults(error_rate=1.0)
    assert_upstream_failure(await solve_2fa(client, tenant, account_id))
    pending = (await get_status(client, tenant, "instagram")).json()["data"]
    assert (pending["is_connected"], pending["sync_status"]) == (False, "CONNECTING")
    await faults()
    solved = await solve_2fa(client, tenant, account_id)
    assert solved.status_code == 200, solved.text
    assert solved.json()["data"]["is_connected"] is True


async def test_replacing_a_pending_attempt_fails_cleanly(
    client: httpx.AsyncClient, tenant: TenantFixture, faults: SetFaults
) -> None:
    first = await client.post(f"{API}/channels/telegram/connect", headers=tenant.headers)
    account_id = first.json()["data"]["account_id"]
    await faults(error_rate=1.0)
    assert_upstream_failure(
        await client.post(f"{API}/channels/telegram/connect", headers=tenant.headers)
    )
    await faults()
    # The first attempt was left as it was, and its QR code still works.
    status = (await get_status(client, tenant, "telegram", account_id)).json()["data"]
    assert (status["completed"], status["in_progress"]) == (False, True)
    await scan(client, tenant, account_id, "tg_survivor")
    done = await poll_status(client, tenant, "telegram", account_id, completed)
    assert (done["username"], done["is_connected"]) == ("tg_survivor", True)


async def test_a_lost_webhook_does_not_leave_a_qr_login_stuck(
    client: httpx.AsyncClient, tenant: TenantFixture, faults: SetFaults
) -> None:
    account_id = (await connect_qr(client, tenant, "whatsapp"))["account_id"]
    await faults(webhook_drop_rate=1.0)
    await scan(client, tenant, account_id, SAUDI_PHONE)
    # No account_status webhook will arrive: the local record alone still says pending...
    listed = (await client.get(f"{API}/channels", headers=tenant.headers)).json()["data"]
    assert [row["is_connected"] for row in listed] == [False]
    # ...but polling the status asks Unipile itself, so the login completes anyway.
    done = await poll_status(client, tenant, "whatsapp", account_id, completed)
    assert (done["is_connected"], done["username"], done["sync_status"]) == (
        True,
        SAUDI_PHONE,
        "OK",
    )


async def test_status_of_a_pending_attempt_answers_while_unipile_fails(
    client: httpx.AsyncClient, tenant: TenantFixture, faults: SetFaults
) -> None:
    account_id = (await connect_qr(client, tenant, "telegram"))["account_id"]
    await faults(error_rate=1.0)
    response = await get_status(client, tenant, "telegram", account_id)
    # Asking Unipile is only a safety net next to the webhook: local records answer.
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["completed"], data["in_progress"], data["sync_status"]) == (
        False,
        True,
        "CONNECTING",
    )
