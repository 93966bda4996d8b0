"""POST /api/v1/messages/send and GET /api/v1/messages/{id}, as messages-api.txt gives them."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact, sent_log

pytestmark = pytest.mark.both_databases

SARAH = {"name": "Sarah Johnson", "channel": "whatsapp", "phone": "+966501234567"}


async def test_send_is_201_with_the_message_and_reaches_unipile_once(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000100")
    contact = await make_contact(client, tenant, **SARAH)
    response = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "message": "Your appointment is confirmed!"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Message sent successfully."
    data = body["data"]
    assert data["contact_id"] == contact["id"]
    assert data["channel"] == "whatsapp"
    assert data["content"] == "Your appointment is confirmed!"
    assert data["status"] == "sent"
    assert data["direction"] == "outbound"
    assert data["sent_at"].endswith("Z")
    assert len(data["sent_at"]) == len("2026-03-04T12:00:00.000000Z")

    sent = await sent_log(client, tenant)
    assert len(sent) == 1
    assert sent[0]["attendee_provider_id"] == "966501234567@s.whatsapp.net"
    assert sent[0]["text"] == "Your appointment is confirmed!"

    fetched = await client.get(f"/api/v1/messages/{data['id']}", headers=tenant.headers)
    assert fetched.json()["data"]["status"] == "sent"


async def test_first_send_starts_a_chat_and_later_sends_reuse_it_without_echo_duplicates(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000101")
    contact = await make_contact(client, tenant, **SARAH)
    for text in ("one", "two", "three"):
        response = await client.post(
            "/api/v1/messages/send",
            json={"contact_id": contact["id"], "message": text},
            headers=tenant.headers,
        )
        assert response.status_code == 201
    sent = await sent_log(client, tenant)
    assert [s["text"] for s in sent] == ["three", "two", "one"]
    assert len({s["chat_id"] for s in sent}) == 1

    # Unipile echoes API sends as message_received webhooks; they must not become new rows.
    async def history() -> list[dict[str, object]]:
        r = await client.get(f"/api/v1/contacts/{contact['id']}/messages", headers=tenant.headers)
        data: list[dict[str, object]] = r.json()["data"]
        return data

    async def settled() -> list[dict[str, object]]:
        await eventually(history, lambda rows: len(rows) > 3, within=1.0)
        return await history()

    rows = await settled()
    assert [r["content"] for r in rows] == ["three", "two", "one"]
    assert all(r["direction"] == "outbound" for r in rows)


async def test_no_channel_connected_is_the_seed_failure_body_and_the_record_is_kept(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    contact = await make_contact(client, tenant, **SARAH)
    response = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "message": "Hello"},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    body = response.json()
    assert body == {
        "success": False,
        "data": {
            "id": body["data"]["id"],
            "status": "failed",
            "error": "No whatsapp channel connected.",
        },
        "message": "Message could not be delivered.",
    }
    stored = await client.get(f"/api/v1/messages/{body['data']['id']}", headers=tenant.headers)
    assert stored.json()["data"]["status"] == "failed"
    assert stored.json()["data"]["error"] == "No whatsapp channel connected."
    assert await sent_log(client, tenant) == []


async def test_channel_not_ok_fails_on_our_side(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000102")
    contact = await make_contact(client, tenant, **SARAH)
    await client.post(
        f"/api/v1/sandbox/accounts/{account_id}/status",
        json={"status": "CREDENTIALS"},
        headers=tenant.headers,
    )

    async def channel_status() -> str:
        r = await client.get("/api/v1/channels/whatsapp/status", headers=tenant.headers)
        value: str = r.json()["data"]["sync_status"]
        return value

    assert await eventually(channel_status, lambda s: s == "CREDENTIALS") == "CREDENTIALS"
    response = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "message": "Hello"},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert response.json()["data"]["status"] == "failed"
    assert await sent_log(client, tenant) == []


async def test_unipile_rejection_is_502_with_a_failed_record(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000103")
    # The simulator says numbers ending in 0000 are not on WhatsApp.
    contact = await make_contact(
        client, tenant, name="Nobody", channel="whatsapp", phone="+966501230000"
    )
    response = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "message": "Hello"},
        headers=tenant.headers,
    )
    assert response.status_code == 502
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "Message could not be delivered."
    assert body["data"]["status"] == "failed"
    assert body["data"]["error"].startswith("Unipile rejected the message")
    stored = await client.get(f"/api/v1/messages/{body['data']['id']}", headers=tenant.headers)
    assert stored.json()["data"]["status"] == "failed"


async def test_upstream_errors_leave_a_failed_record_never_a_500(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000104")
    contact = await make_contact(client, tenant, **SARAH)
    await client.post("/api/v1/sandbox/faults", json={"error_rate": 1.0}, headers=tenant.headers)
    try:
        response = await client.post(
            "/api/v1/messages/send",
            json={"contact_id": contact["id"], "message": "Hello"},
            headers=tenant.headers,
        )
    finally:
        await client.post("/api/v1/sandbox/faults", json={}, headers=tenant.headers)
    assert response.status_code == 502
    assert response.json()["data"]["status"] == "failed"
    assert response.json()["data"]["error"].startswith("Unipile failed")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact_id": 1}, "message"),
        ({"contact_id": 1, "message": ""}, "message"),
        ({"contact_id": 1, "message": "   "}, "message"),
        ({"contact_id": 1, "message": "x" * 4097}, "message"),
        ({"message": "hi"}, "contact_id"),
        ({"contact_id": "abc", "message": "hi"}, "contact_id"),
        ({"contact_id": 2**31, "message": "hi"}, "contact_id"),
    ],
)
async def test_bad_send_bodies_are_422(
    client: httpx.AsyncClient, tenant: TenantFixture, body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/messages/send", json=body, headers=tenant.headers)
    assert response.status_code == 422
    assert field in response.json()["errors"]


async def test_unknown_or_foreign_contact_is_404(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    contact = await make_contact(client, tenant, **SARAH)
    for who, contact_id in ((tenant, 999_999), (other_tenant, contact["id"])):
        response = await client.post(
            "/api/v1/messages/send",
            json={"contact_id": contact_id, "message": "hi"},
            headers=who.headers,
        )
        assert response.status_code == 404
        assert response.json()["success"] is False


async def test_another_workspace_cannot_read_a_message(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    contact = await make_contact(client, tenant, **SARAH)
    failed = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "message": "hi"},
        headers=tenant.headers,
    )
    message_id = failed.json()["data"]["id"]
    assert (
        await client.get(f"/api/v1/messages/{message_id}", headers=tenant.headers)
    ).status_code == 200
    other = await client.get(f"/api/v1/messages/{message_id}", headers=other_tenant.headers)
    assert other.status_code == 404
