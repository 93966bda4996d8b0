"""Unipile has no "delivered" webhook: delivery is read from the message objects' flags (by
reconciliation, which asks only for chats active since its last pass), a message_read
webhook implies delivered, and statuses only move forward. A message_received webhook's
direction comes from is_sender; account_info is only the fallback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.channels.models import Channel
from skylight.inbound.secret import HEADER, webhook_secret
from skylight.integrations.unipile.simulator.control import SimulatorControl
from skylight.kit.time import utcnow
from skylight.messages.reconcile import OVERLAP
from skylight.messages.repository import MessageRepository
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact

pytestmark = pytest.mark.both_databases
PHONE1, PHONE2 = "+966501000051", "+966501000052"


async def _send(client: httpx.AsyncClient, tenant: TenantFixture, contact_id: int) -> int:
    response = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact_id, "message": "See you at 2pm"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    message_id: int = response.json()["data"]["id"]
    return message_id


async def _message(client: httpx.AsyncClient, tenant: TenantFixture, message_id: int) -> Any:
    response = await client.get(f"/api/v1/messages/{message_id}", headers=tenant.headers)
    return response.json()["data"]


async def _unipile_id(app: FastAPI, tenant: TenantFixture, message_id: int) -> str:
    async with app.state.sessionmaker() as session:
        message = await MessageRepository(session, tenant.workspace_id).get(message_id)
        assert message is not None
        assert message.unipile_message_id is not None
        return message.unipile_message_id


async def test_delivery_comes_from_the_message_flags_and_read_from_its_webhook(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000501")
    contact = await make_contact(client, tenant, name="R", channel="whatsapp", phone=PHONE1)
    message_id = await _send(client, tenant, contact["id"])
    control: SimulatorControl = app.state.simulator
    unipile_id = await _unipile_id(app, tenant, message_id)

    await control.receipt(unipile_id, "delivered")  # the flag only: no webhook exists for it
    await asyncio.sleep(0.3)
    assert (await _message(client, tenant, message_id))["status"] == "sent"
    report = await app.state.reconciler.run_once({account_id})
    assert report.receipts == 1
    assert (await _message(client, tenant, message_id))["status"] == "delivered"

    await control.receipt(unipile_id, "read")  # message_read webhook
    read = await eventually(
        lambda: _message(client, tenant, message_id), lambda m: m["status"] == "read"
    )
    assert read["status"] == "read"
    # Forward only: the flags read again change nothing.
    assert (await app.state.reconciler.run_once({account_id})).receipts == 0
    assert (await _message(client, tenant, message_id))["status"] == "read"


async def test_a_read_webhook_alone_implies_delivered(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000502")
    contact = await make_contact(client, tenant, name="R", channel="whatsapp", phone=PHONE2)
    message_id = await _send(client, tenant, contact["id"])
    await app.state.simulator.receipt(await _unipile_id(app, tenant, message_id), "read")
    read = await eventually(
        lambda: _message(client, tenant, message_id), lambda m: m["status"] == "read"
    )
    assert read["status"] == "read"


async def test_reconciliation_lists_only_active_chats_and_rereads_waiting_sends(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000503")
    control: SimulatorControl = app.state.simulator
    quiet = await make_contact(client, tenant, name="Q", channel="whatsapp", phone="+966500000053")
    message_id = await _send(client, tenant, quiet["id"])
    for phone in ("+966500000054", "+966500000055"):
        await control.inbound(account_id, phone, "old news")
    await asyncio.sleep(0.05)
    # The last pass ended now: only chats active since then are asked for.
    last_pass = utcnow()
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Channel)
            .where(Channel.unipile_account_id == account_id)
            .values(reconciled_at=last_pass + OVERLAP)
        )
    await asyncio.sleep(0.05)
    await control.inbound(account_id, "+966500000056", "new")
    # The quiet chat's message gets delivered meanwhile: its chat shows no new activity.
    await control.receipt(await _unipile_id(app, tenant, message_id), "delivered")

    report = await app.state.reconciler.run_once({account_id})
    assert report.chats == 1  # not the three quiet ones
    assert report.receipts == 1  # re-read although its chat was not listed
    assert (await _message(client, tenant, message_id))["status"] == "delivered"


async def test_is_sender_without_account_info_is_outbound_and_stored_once(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI, base_url: str
) -> None:
    account_id = await connect_qr_channel(client, tenant, "whatsapp", "+966500000504")
    control: SimulatorControl = app.state.simulator
    # Written on the phone: Unipile sends message_received with is_sender: true and, as often
    # live, no account_info.
    sent = await control.inbound(account_id, "+966500000057", "from my phone", from_me=True)
    listing = await eventually(
        lambda: client.get("/api/v1/conversations", headers=tenant.headers),
        lambda r: r.json()["meta"]["total"] == 1,
    )
    contact_id = listing.json()["data"][0]["contact_id"]
    payload: dict[str, Any] = {
        "account_id": account_id,
        "account_type": "WHATSAPP",
        "event": "message_received",
        "chat_id": sent.chat_id,
        "timestamp": "2026-01-15T10:30:00.000Z",
        "message_id": sent.message_id,
        "message": "from my phone",
        "is_sender": True,
        "sender": {"attendee_id": "me", "attendee_provider_id": "966500000504@s.whatsapp.net"},
        "attendees": [
            {"attendee_id": sent.attendee_id, "attendee_provider_id": sent.attendee_provider_id}
        ],
        "attachments": [],
    }
    secret = {HEADER: webhook_secret(app.state.settings)}
    again = await client.post("/webhooks/unipile", content=json.dumps(payload), headers=secret)
    assert again.status_code == 200, again.text
    history = await client.get(f"/api/v1/contacts/{contact_id}/messages", headers=tenant.headers)
    [only] = history.json()["data"]
    assert only["direction"] == "outbound"
    assert only["content"] == "from my phone"
    assert listing.json()["data"][0]["unread_count"] == 0
