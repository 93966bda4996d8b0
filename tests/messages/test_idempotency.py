"""Idempotency-Key on POST /api/v1/messages/send."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, make_contact, sent_log

pytestmark = pytest.mark.both_databases


async def _send(
    client: httpx.AsyncClient, tenant: TenantFixture, contact_id: int, text: str, key: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact_id, "message": text},
        headers={**tenant.headers, "Idempotency-Key": key},
    )


async def test_a_retried_send_reaches_unipile_once_and_replays_the_first_response(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000300")
    contact = await make_contact(
        client, tenant, name="I", channel="whatsapp", phone="+966500000010"
    )
    first = await _send(client, tenant, contact["id"], "once", "order-42-confirmation")
    again = await _send(client, tenant, contact["id"], "once", "order-42-confirmation")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert [s["text"] for s in await sent_log(client, tenant)] == ["once"]
    history = await client.get(f"/api/v1/contacts/{contact['id']}/messages", headers=tenant.headers)
    assert history.json()["meta"]["total"] == 1


async def test_same_key_with_another_body_is_422(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    contact = await make_contact(
        client, tenant, name="I", channel="whatsapp", phone="+966500000011"
    )
    await _send(client, tenant, contact["id"], "first", "key-reused")
    other = await _send(client, tenant, contact["id"], "second", "key-reused")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["errors"]


async def test_concurrent_use_of_one_key_is_409_and_sends_once(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000301")
    contact = await make_contact(
        client, tenant, name="C", channel="whatsapp", phone="+966500000012"
    )
    await client.post("/api/v1/sandbox/faults", json={"latency_ms": 600}, headers=tenant.headers)
    try:
        responses = await asyncio.gather(
            *(_send(client, tenant, contact["id"], "race", "key-concurrent") for _ in range(3))
        )
    finally:
        await client.post("/api/v1/sandbox/faults", json={}, headers=tenant.headers)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409], [r.text for r in responses]
    assert [s["text"] for s in await sent_log(client, tenant)] == ["race"]


async def test_a_failed_send_is_replayed_not_retried(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    contact = await make_contact(
        client, tenant, name="F", channel="whatsapp", phone="+966500000013"
    )
    first = await _send(client, tenant, contact["id"], "hello", "key-failed")
    assert first.status_code == 422
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000302")
    again = await _send(client, tenant, contact["id"], "hello", "key-failed")
    assert again.status_code == 422
    assert again.json() == first.json()
    assert await sent_log(client, tenant) == []


async def test_a_client_error_releases_the_key(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000303")
    missing = await _send(client, tenant, 999_999, "hello", "key-released")
    assert missing.status_code == 404
    contact = await make_contact(
        client, tenant, name="R", channel="whatsapp", phone="+966500000014"
    )
    fixed = await _send(client, tenant, contact["id"], "hello", "key-released")
    assert fixed.status_code == 201


async def test_bad_keys_are_422(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    contact = await make_contact(
        client, tenant, name="B", channel="whatsapp", phone="+966500000015"
    )
    for key in ("", "x" * 256, "has space"):
        response = await _send(client, tenant, contact["id"], "hello", key)
        assert response.status_code == 422, key
