"""Unipile's messaging webhooks are accepted and queued, then applied in batches: exactly once,
in the order they arrived, none lost when a process stops between the two, and one that
cannot be applied does not hold up the others."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from skylight.inbound import service
from skylight.inbound.models import InboxEntry
from skylight.inbound.secret import HEADER, webhook_secret
from skylight.integrations.unipile.schemas import MessagingWebhookPayload
from skylight.kit.db import Database, create_engine
from skylight.kit.settings import Settings
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually

pytestmark = pytest.mark.both_databases


def _received(account_id: str, message_id: str, text: str, sender: int) -> dict[str, Any]:
    person = {
        "attendee_id": f"att-{sender}",
        "attendee_name": f"Sender {sender}",
        "attendee_provider_id": f"9665{sender:08d}@s.whatsapp.net",
    }
    return {
        "account_id": account_id,
        "account_type": "WHATSAPP",
        "event": "message_received",
        "chat_id": f"chat-{account_id}-{sender}",
        "timestamp": "2026-03-04T12:00:00.000Z",
        "message_id": message_id,
        "message": text,
        "sender": person,
        "attendees": [person],
        "attachments": [],
    }


async def _history(client: httpx.AsyncClient, tenant: TenantFixture) -> list[str]:
    """Every message of the workspace, by content."""
    listing = await client.get(
        "/api/v1/conversations", params={"per_page": 100}, headers=tenant.headers
    )
    contents: list[str] = []
    for row in listing.json()["data"]:
        history = await client.get(
            f"/api/v1/contacts/{row['contact_id']}/messages",
            params={"per_page": 100},
            headers=tenant.headers,
        )
        contents += [m["content"] for m in history.json()["data"]]
    return sorted(contents)


async def _events(client: httpx.AsyncClient, tenant: TenantFixture) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"limit": 100}, headers=tenant.headers)
    events: list[dict[str, Any]] = response.json()["data"]
    return events


async def _queue(db: Database, body: dict[str, Any]) -> None:
    """Stored and not applied, nobody woken: what a process that stopped right after
    answering Unipile leaves behind."""
    payload = service.parse(body)
    assert isinstance(payload, MessagingWebhookPayload)
    assert await service.accept(db, payload, json.dumps(body))


async def test_concurrent_webhooks_and_redeliveries_are_stored_once(
    client: httpx.AsyncClient, tenant: TenantFixture, settings: Settings
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000301")
    secret = {HEADER: webhook_secret(settings)}
    bodies = [_received(account_id, f"q1-{account_id}-{i}", f"m{i:02d}", i % 3) for i in range(30)]
    posts = [json.dumps(b).encode() for b in bodies] + [
        json.dumps(b).encode()
        for b in bodies[:10]  # redelivered at the same time
    ]
    answers = await asyncio.gather(
        *(client.post("/webhooks/unipile", content=p, headers=secret) for p in posts)
    )
    assert {a.status_code for a in answers} == {200}
    messages = [a.json()["message"] for a in answers]
    assert messages.count("Already applied.") == 10
    assert set(messages) <= {"Applied.", "Accepted.", "Already applied."}
    expected = sorted(f"m{i:02d}" for i in range(30))
    stored = await eventually(lambda: _history(client, tenant), lambda h: h == expected)
    assert stored == expected
    received = [e for e in await _events(client, tenant) if e["type"] == "message.received"]
    assert sorted(e["data"]["content"] for e in received) == expected


async def test_a_queued_webhook_left_behind_is_applied(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000302")
    await _queue(app.state.db, _received(account_id, f"q2-{account_id}", "left behind", 1))
    stored = await eventually(lambda: _history(client, tenant), lambda h: h == ["left behind"])
    assert stored == ["left behind"]


async def test_a_batch_applies_in_arrival_order_with_each_kind_of_message(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    """Known chats written together, a new sender and an opt-out keyword one by one between
    them: the events come out as if each webhook had been applied on its own."""
    db: Database = app.state.db
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000303")
    await _queue(db, _received(account_id, f"q3-{account_id}-0", "hello", 1))
    await eventually(lambda: _history(client, tenant), lambda h: h == ["hello"])
    texts = ["a", "b", "new person", "STOP", "c"]
    senders = [1, 1, 2, 1, 1]
    for i, (text, sender) in enumerate(zip(texts, senders, strict=True), start=1):
        await _queue(db, _received(account_id, f"q3-{account_id}-{i}", text, sender))
    await app.state.inbox.drain()
    kinds = [
        (e["type"], e["data"].get("content", e["data"].get("name")))
        for e in await _events(client, tenant)
        if e["type"].startswith(("message.", "contact."))
    ]
    assert kinds == [
        ("contact.created", "Sender 1"),
        ("message.received", "hello"),
        ("message.received", "a"),
        ("message.received", "b"),
        ("contact.created", "Sender 2"),
        ("message.received", "new person"),
        ("message.received", "STOP"),
        ("contact.opted_out", "Sender 1"),
        ("message.received", "c"),
    ]
    listing = await client.get("/api/v1/conversations", headers=tenant.headers)
    unread = {r["contact_name"]: r["unread_count"] for r in listing.json()["data"]}
    assert unread == {"Sender 1": 5, "Sender 2": 1}


async def test_a_webhook_that_cannot_be_applied_is_set_aside_and_the_rest_go_on(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db: Database = app.state.db
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000304")
    broken = _received(account_id, f"q4-{account_id}-broken", "broken", 1)
    payload = service.parse(broken)
    assert isinstance(payload, MessagingWebhookPayload)
    with caplog.at_level(logging.ERROR, logger="skylight.inbound"):
        # Stored as an earlier version might have stored it, in a shape we no longer read.
        assert await service.accept(db, payload, json.dumps({"unreadable": True}))
        await _queue(db, _received(account_id, f"q4-{account_id}-fine", "fine", 1))
        await app.state.inbox.drain()
        stored = await eventually(lambda: _history(client, tenant), lambda h: h == ["fine"])
    assert stored == ["fine"]
    assert "could not be applied and is set aside" in caplog.text
    async with db.read() as session:
        entry = await session.scalar(
            select(InboxEntry).where(
                InboxEntry.dedupe_key == f"message_received:{broken['message_id']}"
            )
        )
    assert entry is not None
    assert entry.applied_at is not None
    assert entry.payload == json.dumps({"unreadable": True})  # kept, to look into


async def test_two_processes_draining_the_queue_apply_each_webhook_once(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        # One process per SQLite file (and a second handle in-process drops its locks).
        pytest.skip("several processes share PostgreSQL only")
    db: Database = app.state.db
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000305")
    for i in range(40):
        await _queue(db, _received(account_id, f"q5-{account_id}-{i}", f"x{i:02d}", i % 4))
    others = [Database(create_engine(database_url)) for _ in range(2)]
    try:
        await asyncio.gather(
            *(service.apply_queued(other, limit=7) for other in others for _ in range(4)),
            app.state.inbox.drain(),
        )
    finally:
        for other in others:
            await other.dispose()
    expected = sorted(f"x{i:02d}" for i in range(40))
    assert await eventually(lambda: _history(client, tenant), lambda h: h == expected) == expected
    received = [e for e in await _events(client, tenant) if e["type"] == "message.received"]
    assert len(received) == 40
    listing = await client.get("/api/v1/conversations", headers=tenant.headers)
    assert sum(r["unread_count"] for r in listing.json()["data"]) == 40
