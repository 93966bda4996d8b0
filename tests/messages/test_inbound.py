"""Inbound messages, echoes, receipts and the Unipile webhook endpoint itself."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skylight.inbound.secret import HEADER, webhook_secret
from skylight.kit.settings import Settings
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact

pytestmark = pytest.mark.both_databases


async def _conversations(
    client: httpx.AsyncClient, tenant: TenantFixture, **params: Any
) -> dict[str, Any]:
    response = await client.get("/api/v1/conversations", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _inbound(client: httpx.AsyncClient, tenant: TenantFixture, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/sandbox/inbound", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_unknown_sender_becomes_a_contact_and_a_conversation(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000200")
    await _inbound(
        client,
        tenant,
        channel="whatsapp",
        **{"from": "+966500000001"},
        name="Sarah Johnson",
        text="Hi",
    )
    listing = await eventually(
        lambda: _conversations(client, tenant), lambda b: b["meta"]["total"] == 1
    )
    assert listing["meta"] == {"current_page": 1, "last_page": 1, "per_page": 15, "total": 1}
    row = listing["data"][0]
    assert set(row) == {
        "contact_id",
        "contact_name",
        "channel",
        "last_message",
        "last_message_at",
        "unread_count",
    }
    assert row["contact_name"] == "Sarah Johnson"
    assert row["channel"] == "whatsapp"
    assert row["last_message"] == "Hi"
    assert row["unread_count"] == 1
    contact = (
        await client.get(f"/api/v1/contacts/{row['contact_id']}", headers=tenant.headers)
    ).json()
    assert contact["data"]["phone"] == "+966500000001"

    history = await client.get(
        f"/api/v1/contacts/{row['contact_id']}/messages", headers=tenant.headers
    )
    messages = history.json()["data"]
    assert [(m["direction"], m["content"], m["status"]) for m in messages] == [
        ("inbound", "Hi", "delivered")
    ]

    # A second message from the same person joins the same contact.
    await _inbound(
        client, tenant, channel="whatsapp", **{"from": "+966500000001"}, text="Are you there?"
    )
    listing = await eventually(
        lambda: _conversations(client, tenant), lambda b: b["data"][0]["unread_count"] == 2
    )
    assert listing["meta"]["total"] == 1
    assert listing["data"][0]["last_message"] == "Are you there?"

    read = await client.post(
        f"/api/v1/conversations/{row['contact_id']}/read", headers=tenant.headers
    )
    assert read.status_code == 200
    assert read.json()["data"]["unread_count"] == 0
    assert read.json()["message"] == "Conversation marked as read."
    history = await client.get(
        f"/api/v1/contacts/{row['contact_id']}/messages",
        params={"direction": "inbound"},
        headers=tenant.headers,
    )
    assert {m["status"] for m in history.json()["data"]} == {"read"}


async def test_inbound_to_a_known_contact_and_a_reply(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000201")
    contact = await make_contact(
        client, tenant, name="Known", channel="whatsapp", phone="+966500000002"
    )
    await _inbound(
        client,
        tenant,
        channel="whatsapp",
        **{"from": "+966500000002"},
        name="Whatever",
        text="Hello",
    )
    await eventually(lambda: _conversations(client, tenant), lambda b: b["meta"]["total"] == 1)
    listing = await _conversations(client, tenant)
    assert listing["data"][0]["contact_id"] == contact["id"]
    assert listing["data"][0]["contact_name"] == "Known"
    reply = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "message": "Hi, how can I help?"},
        headers=tenant.headers,
    )
    assert reply.status_code == 201
    sent = (await client.get("/api/v1/sandbox/sent", headers=tenant.headers)).json()["data"]
    # The reply goes into the chat the inbound message opened.
    inbound_chat = (
        await client.get(f"/api/v1/contacts/{contact['id']}/messages", headers=tenant.headers)
    ).json()
    assert len(sent) == 1
    assert len(inbound_chat["data"]) == 2


async def test_messages_sent_from_the_phone_are_stored_as_outbound(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000202")
    await app.state.simulator.inbound(
        account_id, "+966500000003", "Sent from my phone", from_me=True
    )
    listing = await eventually(
        lambda: _conversations(client, tenant), lambda b: b["meta"]["total"] == 1
    )
    row = listing["data"][0]
    assert row["unread_count"] == 0
    history = await client.get(
        f"/api/v1/contacts/{row['contact_id']}/messages", headers=tenant.headers
    )
    assert [(m["direction"], m["status"]) for m in history.json()["data"]] == [("outbound", "sent")]


async def test_receipts_move_forward_only(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000203")
    contact = await make_contact(
        client, tenant, name="R", channel="whatsapp", phone="+966500000004"
    )
    sent = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "message": "ping"},
        headers=tenant.headers,
    )
    message_id = sent.json()["data"]["id"]

    async def status() -> dict[str, Any]:
        data: dict[str, Any] = (
            await client.get(f"/api/v1/messages/{message_id}", headers=tenant.headers)
        ).json()["data"]
        return data

    assert (
        await client.post(f"/api/v1/sandbox/messages/{message_id}/read", headers=tenant.headers)
    ).status_code == 200
    read = await eventually(status, lambda m: m["status"] == "read")
    assert read["status"] == "read"
    assert read["read_at"] is not None
    assert read["delivered_at"] is not None
    # A delivered receipt arriving after the read one leaves the message read.
    assert (
        await client.post(
            f"/api/v1/sandbox/messages/{message_id}/delivered", headers=tenant.headers
        )
    ).status_code == 200
    await eventually(status, lambda m: m["status"] != "read", within=1.0)
    assert (await status())["status"] == "read"


async def test_webhook_endpoint_needs_the_secret_and_applies_a_redelivery_once(
    client: httpx.AsyncClient, tenant: TenantFixture, settings: Settings
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000204")
    payload = {
        "account_id": account_id,
        "account_type": "WHATSAPP",
        "account_info": {
            "type": "WHATSAPP",
            "feature": "classic",
            "user_id": "966500000204@s.whatsapp.net",
        },
        "event": "message_received",
        "chat_id": "chat-redelivery-1",
        "timestamp": "2026-03-04T12:00:00.000Z",
        "webhook_name": "skylight-messaging",
        "message_id": f"msg-redelivery-{account_id}",
        "message": "Only once",
        "sender": {
            "attendee_id": "att-1",
            "attendee_name": "Dup",
            "attendee_provider_id": "966500000005@s.whatsapp.net",
        },
        "attendees": [
            {
                "attendee_id": "att-1",
                "attendee_name": "Dup",
                "attendee_provider_id": "966500000005@s.whatsapp.net",
            }
        ],
        "attachments": [],
    }
    body = json.dumps(payload).encode()
    refused = await client.post("/webhooks/unipile", content=body)
    assert refused.status_code == 401
    wrong = await client.post("/webhooks/unipile", content=body, headers={HEADER: "nope"})
    assert wrong.status_code == 401
    secret = {HEADER: webhook_secret(settings)}
    first = await client.post("/webhooks/unipile", content=body, headers=secret)
    second = await client.post("/webhooks/unipile", content=body, headers=secret)
    assert first.json()["message"] == "Applied."
    assert second.json()["message"] == "Already applied."
    listing = await _conversations(client, tenant)
    history = await client.get(
        f"/api/v1/contacts/{listing['data'][0]['contact_id']}/messages", headers=tenant.headers
    )
    assert [m["content"] for m in history.json()["data"]] == ["Only once"]
    garbage = await client.post("/webhooks/unipile", content=b"{not json", headers=secret)
    assert garbage.status_code == 400
    not_ours = await client.post("/webhooks/unipile", json={"hello": 1}, headers=secret)
    assert not_ours.status_code == 422


async def test_conversations_filters_and_isolation(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000205")
    await connect_qr_channel(client, tenant, "telegram", "skylight_tg_205")
    await _inbound(client, tenant, channel="whatsapp", **{"from": "+966500000006"}, text="wa")
    await _inbound(
        client, tenant, channel="telegram", **{"from": "tg_friend"}, name="TG Friend", text="tg"
    )
    listing = await eventually(
        lambda: _conversations(client, tenant), lambda b: b["meta"]["total"] == 2
    )
    assert [r["last_message"] for r in listing["data"]] == ["tg", "wa"]  # most recent first
    only_tg = await _conversations(client, tenant, channel="telegram")
    assert [r["contact_name"] for r in only_tg["data"]] == ["TG Friend"]
    one = await _conversations(
        client, tenant, contact_id=listing["data"][1]["contact_id"], per_page=1
    )
    assert one["meta"] == {"current_page": 1, "last_page": 1, "per_page": 1, "total": 1}
    assert (await _conversations(client, other_tenant))["meta"]["total"] == 0
    foreign = await client.get(
        f"/api/v1/contacts/{listing['data'][0]['contact_id']}/messages",
        headers=other_tenant.headers,
    )
    assert foreign.status_code == 404
    foreign_read = await client.post(
        f"/api/v1/conversations/{listing['data'][0]['contact_id']}/read",
        headers=other_tenant.headers,
    )
    assert foreign_read.status_code == 404


def _received(account_id: str, message_id: str, text: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "account_type": "WHATSAPP",
        "event": "message_received",
        "chat_id": f"chat-{message_id}"[:100],
        "timestamp": "2026-03-04T12:00:00.000Z",
        "message_id": message_id,
        "message": text,
        "sender": {
            "attendee_id": "att-9",
            "attendee_name": "N\u0000ul",
            "attendee_provider_id": "966500000009@s.whatsapp.net",
        },
        "attendees": [],
    }


async def test_nuls_are_removed_and_over_long_ids_acknowledged_and_ignored(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What we could never store is not an error: Unipile would retry an error for hours."""
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000209")
    secret = {HEADER: webhook_secret(settings)}
    nul = _received(account_id, f"msg-nul-{account_id}", "hello\u0000 world")
    stored = await client.post("/webhooks/unipile", json=nul, headers=secret)
    assert stored.status_code == 200, stored.text
    assert stored.json()["message"] == "Applied."
    long_id = _received(account_id, "m" * 300, "never stored")
    ignored = await client.post("/webhooks/unipile", json=long_id, headers=secret)
    assert ignored.status_code == 200, ignored.text
    assert ignored.json()["message"] == "Ignored: message_id (300 characters) is too long."
    assert "Unipile webhook ignored: message_id (300 characters)" in caplog.text

    listing = await _conversations(client, tenant)
    history = await client.get(
        f"/api/v1/contacts/{listing['data'][0]['contact_id']}/messages", headers=tenant.headers
    )
    assert [m["content"] for m in history.json()["data"]] == ["hello world"]
    assert listing["data"][0]["contact_name"] == "Nul"
