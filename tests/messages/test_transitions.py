"""The message state machine (messages.transitions): statuses move only forward, each move
once (a repeated or late signal is a no-op) with its event, unconfirmed sends expire only for
accounts reconciliation actually checked, and a late copy of an expired message revives that
message (and its campaign recipient) instead of becoming a second row."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from skylight.campaigns.models import CampaignRecipient
from skylight.kit.db import Database
from skylight.kit.time import utcnow
from skylight.messages import transitions
from skylight.messages.ingest import Incoming, apply_receipt, ingest
from skylight.messages.models import Message
from skylight.messages.reconcile import reconcile_all
from skylight.messages.service import Route, prepare
from skylight.messages.types import NEVER_CONFIRMED, MessageStatus
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, make_contact

pytestmark = pytest.mark.both_databases


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


async def _events(client: httpx.AsyncClient, tenant: TenantFixture, type: str) -> list[Any]:
    response = await client.get(
        "/api/v1/events", params={"type": type, "limit": 100}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return [event["data"] for event in response.json()["data"]]


async def _connect(client: httpx.AsyncClient, tenant: TenantFixture) -> str:
    return await connect_qr_channel(
        client, tenant, "whatsapp", f"+9665000{secrets.randbelow(10**5):05d}"
    )


async def _pending(
    client: httpx.AsyncClient, tenant: TenantFixture, db: Database, text: str, minutes_old: int
) -> Route:
    """An outbound message stored and never confirmed (as if its send had timed out)."""
    phone = f"+96655{1 + secrets.randbelow(10**7 - 1):07d}"  # a valid Saudi mobile number
    contact = await make_contact(client, tenant, name="Sam", channel="whatsapp", phone=phone)
    async with db.transaction() as session:
        route = await prepare(session, tenant.workspace_id, contact["id"], text)
        assert isinstance(route, Route)
        old = utcnow() - timedelta(minutes=minutes_old)
        await session.execute(
            update(Message).where(Message.id == route.message_id).values(created_at=old)
        )
    return route


async def _message(db: Database, message_id: int) -> Message:
    async with db.read() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


async def test_each_move_happens_once_with_its_event(
    client: httpx.AsyncClient, tenant: TenantFixture, db: Database
) -> None:
    await _connect(client, tenant)
    route = await _pending(client, tenant, db, "Your table is ready", 0)
    unipile_id = f"msg-{secrets.token_hex(6)}"
    at = utcnow()
    async with db.transaction() as session:
        first = await transitions.sent(
            session, tenant.workspace_id, route.message_id,
            at=at, unipile_message_id=unipile_id, chat_id="chat-1",
        )  # fmt: skip
        again = await transitions.sent(
            session, tenant.workspace_id, route.message_id,
            at=at, unipile_message_id=unipile_id, chat_id="chat-1",
        )  # fmt: skip
        too_late = await transitions.failed(
            session, tenant.workspace_id, route.message_id, "too late", at
        )
    assert first is not None
    assert (first.status, first.unipile_message_id, first.sent_at) == ("sent", unipile_id, at)
    assert again is None  # already sent: no second move, no second event
    assert too_late is None  # sent is never failed afterwards

    async with db.transaction() as session:
        read = await transitions.receipt(
            session, tenant.workspace_id, unipile_id, MessageStatus.READ, at
        )
        delivered_after_read = await transitions.receipt(
            session, tenant.workspace_id, unipile_id, MessageStatus.DELIVERED, at
        )
    assert read is not None
    assert (read.status, read.delivered_at, read.read_at) == ("read", at, at)
    assert delivered_after_read is None

    sent_events = [e for e in await _events(client, tenant, "message.sent")]
    updates = await _events(client, tenant, "message.status_updated")
    assert [e["id"] for e in sent_events] == [route.message_id]
    assert [(e["id"], e["status"]) for e in updates] == [(route.message_id, "read")]


async def test_unconfirmed_sends_expire_only_for_accounts_that_were_checked(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    db: Database,
) -> None:
    checked_account = await _connect(client, tenant)
    unreachable_account = await _connect(client, other_tenant)
    checked = await _pending(client, tenant, db, "Checked", 20)
    unreachable = await _pending(client, other_tenant, db, "Unreachable", 20)
    recent = await _pending(client, tenant, db, "Just sent", 1)
    assert unreachable_account != checked_account

    # Unipile answers nothing: the account is not checked, so nothing is known of its sends.
    await app.state.simulator.set_faults(error_rate=1.0)
    try:
        blind = await reconcile_all(db, app.state.unipile, {checked_account})
    finally:
        await app.state.simulator.set_faults()
    assert (blind.channels, blind.expired) == (0, 0)
    assert (await _message(db, checked.message_id)).status == "pending"

    # Only the first account is checked: only its old unconfirmed send is failed.
    report = await reconcile_all(db, app.state.unipile, {checked_account})

    assert (await _message(db, checked.message_id)).status == "failed"
    assert (await _message(db, checked.message_id)).error == NEVER_CONFIRMED
    assert (await _message(db, unreachable.message_id)).status == "pending"
    assert (await _message(db, recent.message_id)).status == "pending"  # may be on its way
    assert report.expired == 1
    failed = await _events(client, tenant, "message.failed")
    assert [e["id"] for e in failed] == [checked.message_id]


async def test_a_late_copy_of_an_expired_message_revives_it_and_its_recipient(
    client: httpx.AsyncClient, tenant: TenantFixture, db: Database
) -> None:
    text = "See you at 3pm"
    account = await _connect(client, tenant)
    route = await _pending(client, tenant, db, text, 20)
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Reminders",
            "channel": "whatsapp",
            "message": text,
            "contact_ids": [route.contact_id],
        },
        headers=tenant.headers,
    )
    assert campaign.status_code == 201, campaign.text
    async with db.transaction() as session:
        # The campaign had sent it, and counted it failed when it expired.
        await session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.campaign_id == campaign.json()["data"]["id"])
            .values(message_id=route.message_id, state="failed", error=NEVER_CONFIRMED)
        )
        await transitions.failed(
            session, tenant.workspace_id, route.message_id, NEVER_CONFIRMED, utcnow()
        )

    # Unipile had it after all: its copy arrives (a webhook, or the next reconciliation).
    copy_id = f"msg-{secrets.token_hex(6)}"
    incoming = Incoming(
        account_id=account,
        chat_id=f"chat-{secrets.token_hex(4)}",
        message_id=copy_id,
        text=text,
        at=utcnow(),
        from_account=True,
        counterpart_id=route.attendee_id,
        counterpart_name="Sam",
    )
    async with db.transaction() as session:
        assert await ingest(session, incoming)
    async with db.transaction() as session:
        assert not await ingest(session, incoming)  # its redelivery changes nothing
    async with db.transaction() as session:
        assert await apply_receipt(session, account, copy_id, "read", utcnow())

    message = await _message(db, route.message_id)
    assert (message.status, message.error, message.unipile_message_id) == ("read", None, copy_id)
    async with db.read() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.contact_id == route.contact_id, Message.direction == "outbound")
        )
        recipient = await session.scalar(
            select(CampaignRecipient).where(CampaignRecipient.message_id == route.message_id)
        )
    assert rows == 1  # never a second row
    assert recipient is not None
    assert (recipient.state, recipient.error) == ("sent", None)
    revived = await _events(client, tenant, "message.sent")
    assert [(e["id"], e["status"]) for e in revived] == [(route.message_id, "sent")]
