"""Crash points of the send path, reproduced step by step: a step claims a recipient, and then
its process "dies" at each point of the send. The next run, once the recipient's lease has
lapsed, must message every recipient exactly once (none skipped, none doubled)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from skylight.campaigns.models import Campaign, CampaignRecipient
from skylight.campaigns.planning import Send
from skylight.campaigns.runner import MAX_SENDS, Runner
from skylight.integrations.unipile.client import UnipileClient
from skylight.jobs.worker import RetryLater
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from skylight.messages.models import Message
from skylight.messages.service import complete
from skylight.messages.types import GAVE_UP_UNCONFIRMED
from tests.campaigns.flows import (
    Json,
    assert_each_once,
    connect_whatsapp,
    create,
    get,
    whatsapp_contacts,
)
from tests.factories import TenantFixture
from tests.sandbox_flows import make_contact, sent_log

pytestmark = pytest.mark.both_databases

Crash = Callable[[Send], Awaitable[None]]


@pytest.fixture
def unipile(campaign_app: FastAPI) -> UnipileClient:
    client: UnipileClient = campaign_app.state.unipile
    return client


@pytest.fixture
async def no_echoes(client: httpx.AsyncClient, tenant: TenantFixture) -> AsyncIterator[None]:
    """Unipile's echo webhooks lost: only a look at Unipile can tell what went out."""

    async def faults(**body: float) -> None:
        response = await client.post("/api/v1/sandbox/faults", json=body, headers=tenant.headers)
        assert response.status_code == 200, response.text

    await faults(webhook_drop_rate=1.0)
    try:
        yield
    finally:
        await faults()


async def campaign_run_by_hand(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    recipients: int,
    *,
    first_phone: str | None = None,
) -> Json:
    """A running campaign with no job: only the test's runners work on it."""
    await connect_whatsapp(client, tenant)
    if first_phone is not None:
        await make_contact(client, tenant, name="First", channel="whatsapp", phone=first_phone)
    await whatsapp_contacts(client, tenant, recipients)
    campaign = await create(client, tenant, filter={})
    async with db.transaction() as session:
        row = await session.get(Campaign, campaign["id"])
        assert row is not None
        row.state, row.generation, row.started_at = "running", 1, utcnow()
    return campaign


async def drive(runner: Runner, within: float = 30.0) -> None:
    """Run the loop as the queue would (RetryLater: again a little later) until it stops."""
    deadline = time.monotonic() + within
    while True:
        try:
            await runner.run()
            return
        except RetryLater as later:
            if time.monotonic() > deadline:
                raise AssertionError("the campaign did not finish in time") from None
            await asyncio.sleep(min(later.delay_seconds, 0.1))


async def lapse_lease(db: Database, recipient_id: int) -> None:
    """What time does after a crash: the dead sender's lease runs out."""
    async with db.transaction() as session:
        await session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id == recipient_id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )


async def claimed_message(db: Database, send: Send) -> tuple[CampaignRecipient, Message]:
    async with db.transaction() as session:
        recipient = await session.get(CampaignRecipient, send.recipient_id)
        message = await session.get(Message, send.route.message_id)
        assert recipient is not None
        assert message is not None
        return recipient, message


async def crash_and_recover(
    db: Database,
    unipile: UnipileClient,
    settings: Settings,
    campaign_id: int,
    crash: Crash,
) -> tuple[CampaignRecipient, Message]:
    runner = Runner(db, unipile, settings, campaign_id, 1)
    plan = await runner.plan()
    assert isinstance(plan, Send)
    recipient, message = await claimed_message(db, plan)
    # The claim and the stored message are one transaction: both or neither.
    assert (recipient.state, recipient.message_id) == ("sending", message.id)
    assert message.status == "pending"
    await crash(plan)
    await lapse_lease(db, plan.recipient_id)
    await drive(Runner(db, unipile, settings, campaign_id, 1))
    return await claimed_message(db, plan)


async def test_died_before_calling_unipile_sends_the_same_message_once(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    unipile: UnipileClient,
    campaign_settings: Settings,
    no_echoes: None,
) -> None:
    campaign = await campaign_run_by_hand(client, tenant, db, 4)

    async def nothing_went_out(_: Send) -> None:
        return

    recipient, message = await crash_and_recover(
        db, unipile, campaign_settings, campaign["id"], nothing_went_out
    )
    assert (recipient.state, recipient.attempts) == ("sent", 2)
    assert message.status == "sent"  # the same row, now sent
    assert_each_once(await sent_log(client, tenant), 4)
    assert (await get(client, tenant, campaign["id"]))["state"] == "completed"


async def test_died_after_unipile_accepted_is_found_there_and_not_sent_again(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    unipile: UnipileClient,
    campaign_settings: Settings,
    no_echoes: None,
) -> None:
    campaign = await campaign_run_by_hand(client, tenant, db, 4)
    accepted: list[str | None] = []

    async def accepted_then_died(plan: Send) -> None:
        # The request reached Unipile; the answer never got recorded.
        started = await unipile.start_chat(
            plan.route.account_id, [plan.route.attendee_id], plan.text
        )
        accepted.append(started.message_id)

    recipient, message = await crash_and_recover(
        db, unipile, campaign_settings, campaign["id"], accepted_then_died
    )
    assert (recipient.state, recipient.attempts) == ("sent", 1)
    assert message.status == "sent"
    assert message.unipile_message_id == accepted[0]
    assert_each_once(await sent_log(client, tenant), 4)
    # Recorded through the state machine: its event, once (the echoes were lost).
    sent_events = await message_events(client, tenant, "message.sent")
    assert [e["id"] for e in sent_events].count(message.id) == 1


async def test_a_send_never_confirmed_after_its_last_try_is_failed_with_its_event(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    unipile: UnipileClient,
    campaign_settings: Settings,
    no_echoes: None,
) -> None:
    campaign = await campaign_run_by_hand(client, tenant, db, 1)

    async def nothing_went_out_three_times(plan: Send) -> None:
        async with db.transaction() as session:
            await session.execute(
                update(CampaignRecipient)
                .where(CampaignRecipient.id == plan.recipient_id)
                .values(attempts=MAX_SENDS)
            )

    recipient, message = await crash_and_recover(
        db, unipile, campaign_settings, campaign["id"], nothing_went_out_three_times
    )
    assert (recipient.state, recipient.error) == ("failed", GAVE_UP_UNCONFIRMED)
    assert (message.status, message.error) == ("failed", GAVE_UP_UNCONFIRMED)
    failed = await message_events(client, tenant, "message.failed")
    assert [(e["id"], e["error"]) for e in failed] == [(message.id, GAVE_UP_UNCONFIRMED)]
    assert await sent_log(client, tenant) == []


async def message_events(client: httpx.AsyncClient, tenant: TenantFixture, type: str) -> list[Json]:
    response = await client.get(
        "/api/v1/events", params={"type": type, "limit": 100}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return [event["data"] for event in response.json()["data"]]


async def test_died_after_recording_the_message_settles_from_it(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    unipile: UnipileClient,
    campaign_settings: Settings,
) -> None:
    campaign = await campaign_run_by_hand(client, tenant, db, 3)

    async def recorded_then_died(plan: Send) -> None:
        sent = await complete(db, unipile, plan.route, plan.text)
        assert sent.status == "sent"

    recipient, _ = await crash_and_recover(
        db, unipile, campaign_settings, campaign["id"], recorded_then_died
    )
    assert (recipient.state, recipient.attempts) == ("sent", 1)
    assert_each_once(await sent_log(client, tenant), 3)


async def test_a_rejected_send_whose_outcome_was_recorded_is_failed_and_not_retried(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    unipile: UnipileClient,
    campaign_settings: Settings,
) -> None:
    # The simulator says numbers ending in 0000 are not on WhatsApp.
    campaign = await campaign_run_by_hand(client, tenant, db, 1, first_phone="+966551230000")

    async def rejected_then_died(plan: Send) -> None:
        failed = await complete(db, unipile, plan.route, plan.text)
        assert failed.status == "failed"

    recipient, message = await crash_and_recover(
        db, unipile, campaign_settings, campaign["id"], rejected_then_died
    )
    assert recipient.state == "failed"
    assert recipient.error == message.error
    assert_each_once(await sent_log(client, tenant), 1)
    done = await get(client, tenant, campaign["id"])
    assert done["progress"] == {"total": 2, "pending": 0, "sent": 1, "failed": 1, "skipped": 0}


async def test_the_same_text_sent_another_way_is_not_taken_for_the_campaigns(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    unipile: UnipileClient,
    campaign_settings: Settings,
    no_echoes: None,
) -> None:
    campaign = await campaign_run_by_hand(client, tenant, db, 1)
    async with db.transaction() as session:
        contact_id = await session.scalar(
            select(CampaignRecipient.contact_id).where(
                CampaignRecipient.campaign_id == campaign["id"]
            )
        )
    # Moments earlier, the very same text went to the same person through the API.
    direct = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact_id, "message": "Hi Guest 0!"},
        headers=tenant.headers,
    )
    assert direct.status_code == 201, direct.text

    async def nothing_went_out(_: Send) -> None:
        return

    recipient, message = await crash_and_recover(
        db, unipile, campaign_settings, campaign["id"], nothing_went_out
    )
    assert recipient.state == "sent"
    async with db.transaction() as session:
        both = (
            await session.scalars(select(Message).where(Message.contact_id == contact_id))
        ).all()
    assert [m.status for m in both] == ["sent", "sent"]
    assert message.id == both[1].id
    assert len({m.unipile_message_id for m in both}) == 2
    sent = await sent_log(client, tenant)
    assert [s["text"] for s in sent] == ["Hi Guest 0!", "Hi Guest 0!"]


async def test_runs_overlapping_on_one_campaign_never_send_twice(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    unipile: UnipileClient,
    campaign_settings: Settings,
) -> None:
    """A job taken over while its first run still goes on: several runs of one campaign at
    once, each claiming recipients, must still message each exactly once."""
    campaign = await campaign_run_by_hand(client, tenant, db, 30)
    runners = [Runner(db, unipile, campaign_settings, campaign["id"], 1) for _ in range(4)]
    await asyncio.gather(*(drive(runner) for runner in runners))
    done = await get(client, tenant, campaign["id"])
    assert done["progress"] == {"total": 30, "pending": 0, "sent": 30, "failed": 0, "skipped": 0}
    assert_each_once(await sent_log(client, tenant), 30)
