"""A running campaign sends through the simulated Unipile: each recipient once, paced per
channel, pausing itself when its channel leaves OK and when sends keep failing."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from skylight.campaigns.models import CampaignRecipient
from skylight.kit.db import Database
from skylight.kit.time import format_api_datetime, utcnow
from tests.campaigns.flows import (
    act,
    assert_each_once,
    connect_whatsapp,
    create,
    get,
    phone,
    set_upstream_status,
    until_state,
    whatsapp_contacts,
)
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact, sent_log

pytestmark = pytest.mark.both_databases

# FAST in conftest.py: 1200/minute on WhatsApp.
WHATSAPP_INTERVAL = timedelta(seconds=60 / 1200)


async def test_a_campaign_messages_every_recipient_once_with_their_name(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    contacts = await whatsapp_contacts(client, tenant, 12, name="Layla")
    campaign = await create(client, tenant, filter={}, message="Hello {{ name }}, see you!")
    started = await act(client, tenant, campaign["id"], "start")
    assert started["message"] == "Campaign started."
    assert started["data"]["state"] == "running"
    done = await until_state(client, tenant, campaign["id"], "completed")
    assert done["progress"] == {"total": 12, "pending": 0, "sent": 12, "failed": 0, "skipped": 0}
    sent = await sent_log(client, tenant)
    assert_each_once(sent, 12)
    assert sorted(s["text"] for s in sent) == sorted(
        f"Hello {c['name']}, see you!" for c in contacts
    )

    # The messages are ordinary outbound messages in each contact's history.
    history = await client.get(
        f"/api/v1/contacts/{contacts[0]['id']}/messages", headers=tenant.headers
    )
    [message] = history.json()["data"]
    assert message["status"] == "sent"
    assert message["content"] == f"Hello {contacts[0]['name']}, see you!"


async def test_sends_on_one_channel_are_spaced_by_its_rate_across_campaigns(
    client: httpx.AsyncClient, tenant: TenantFixture, db: Database
) -> None:
    await connect_whatsapp(client, tenant)
    contacts = await whatsapp_contacts(client, tenant, 16)
    ids = [c["id"] for c in contacts]
    # Two campaigns on the same account share its budget.
    first = await create(client, tenant, contact_ids=ids[:8])
    second = await create(client, tenant, contact_ids=ids[8:])
    await act(client, tenant, first["id"], "start")
    await act(client, tenant, second["id"], "start")
    await until_state(client, tenant, first["id"], "completed")
    await until_state(client, tenant, second["id"], "completed")
    async with db.transaction() as session:
        attempted = await session.scalars(
            select(CampaignRecipient.attempted_at).where(
                CampaignRecipient.campaign_id.in_([first["id"], second["id"]])
            )
        )
        times = sorted(at for at in attempted if at is not None)
    assert len(times) == 16
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # The pacer hands out a turn only once the previous turn's interval has passed; the
    # microsecond slack is rounding, not timing.
    assert min(gaps) >= WHATSAPP_INTERVAL - timedelta(microseconds=5)
    assert_each_once(await sent_log(client, tenant), 16)


async def test_a_scheduled_campaign_starts_at_its_time(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 3)
    campaign = await create(client, tenant, filter={})
    start_at = utcnow() + timedelta(seconds=1.5)
    scheduled = await act(
        client, tenant, campaign["id"], "start", start_at=format_api_datetime(start_at)
    )
    assert scheduled["message"] == "Campaign scheduled."
    assert scheduled["data"]["state"] == "scheduled"
    assert scheduled["data"]["start_at"] == format_api_datetime(start_at)
    done = await until_state(client, tenant, campaign["id"], "completed")
    assert done["started_at"] >= format_api_datetime(start_at)
    assert_each_once(await sent_log(client, tenant), 3)


async def test_a_start_at_in_the_past_starts_now(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 1)
    campaign = await create(client, tenant, filter={})
    past = format_api_datetime(utcnow() - timedelta(days=1))
    started = await act(client, tenant, campaign["id"], "start", start_at=past)
    assert started["data"]["state"] == "running"
    assert started["data"]["start_at"] is None
    await until_state(client, tenant, campaign["id"], "completed")


async def telegram_campaign(
    client: httpx.AsyncClient, tenant: TenantFixture, count: int
) -> tuple[str, int]:
    """Telegram is paced at 1/second in these tests: time to act while it sends."""
    account_id = await connect_qr_channel(client, tenant, "telegram", "skylight_news")
    for n in range(count):
        await make_contact(
            client, tenant, name=f"Reader {n}", channel="telegram", username=f"reader_{n}"
        )
    campaign = await create(client, tenant, channel="telegram", filter={})
    await act(client, tenant, campaign["id"], "start")
    await eventually(
        lambda: get(client, tenant, campaign["id"]), lambda c: c["progress"]["sent"] >= 1
    )
    return account_id, campaign["id"]


async def test_pause_stops_sending_and_resume_continues_where_it_stopped(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    _, cid = await telegram_campaign(client, tenant, 4)
    paused = await act(client, tenant, cid, "pause")
    assert paused["data"]["state"] == "paused"
    assert paused["data"]["pause_reason"] == "Paused by request."
    assert paused["data"]["paused_at"] is not None
    held = await get(client, tenant, cid)
    assert held["state"] == "paused"
    assert held["progress"]["sent"] < 4
    resumed = await act(client, tenant, cid, "resume")
    assert resumed["data"]["state"] == "running"
    assert resumed["data"]["pause_reason"] is None
    done = await until_state(client, tenant, cid, "completed")
    assert done["progress"] == {"total": 4, "pending": 0, "sent": 4, "failed": 0, "skipped": 0}
    assert_each_once(await sent_log(client, tenant), 4)


async def test_channel_leaving_ok_pauses_with_a_reason_and_resume_continues(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    account_id, cid = await telegram_campaign(client, tenant, 5)
    await set_upstream_status(client, tenant, "telegram", account_id, "CREDENTIALS")
    paused = await until_state(client, tenant, cid, "paused", within=10)
    assert paused["pause_reason"] == (
        "The Telegram channel left OK (sync_status CREDENTIALS). Reconnect or refresh it, "
        "then resume the campaign."
    )
    assert paused["progress"]["sent"] < 5
    # Resuming before the channel is back is refused with the same reason.
    refused = await act(client, tenant, cid, "resume", expect=422)
    assert "CREDENTIALS" in refused["message"]

    await set_upstream_status(client, tenant, "telegram", account_id, "OK")
    await act(client, tenant, cid, "resume")
    done = await until_state(client, tenant, cid, "completed")
    # A send racing the drop may have been refused by Unipile: failed, never repeated.
    progress = done["progress"]
    assert progress["sent"] + progress["failed"] == 5
    assert progress["failed"] <= 1
    assert_each_once(await sent_log(client, tenant), progress["sent"])


async def test_sends_failing_in_a_row_pause_the_campaign(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    # The simulator says numbers ending in 0000 are not on WhatsApp.
    for n in range(1, 8):
        await make_contact(
            client, tenant, name=f"Gone {n}", channel="whatsapp", phone=f"+96655{n}120000"
        )
    campaign = await create(client, tenant, filter={})
    await act(client, tenant, campaign["id"], "start")
    paused = await until_state(client, tenant, campaign["id"], "paused")
    assert paused["pause_reason"].startswith("5 sends in a row failed; the last: ")
    assert paused["progress"] == {"total": 7, "pending": 2, "sent": 0, "failed": 5, "skipped": 0}
    assert await sent_log(client, tenant) == []


async def test_quiet_hours_hold_a_running_campaign(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 2)
    now = utcnow()  # the tenant's zone is UTC
    campaign = await create(
        client,
        tenant,
        filter={},
        quiet_hours_start=(now - timedelta(hours=1)).strftime("%H:%M"),
        quiet_hours_end=(now + timedelta(hours=1)).strftime("%H:%M"),
    )
    await act(client, tenant, campaign["id"], "start")
    # Several re-checks (every 0.5 s here) later it is still running, and nothing went out.
    held = await eventually(
        lambda: get(client, tenant, campaign["id"]), lambda _: False, within=1.5
    )
    assert held["state"] == "running"
    assert held["progress"]["sent"] == 0
    assert await sent_log(client, tenant) == []
    await act(client, tenant, campaign["id"], "cancel")


async def test_the_daily_cap_stops_todays_sends(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 5)
    campaign = await create(client, tenant, filter={}, daily_cap=2)
    await act(client, tenant, campaign["id"], "start")
    await eventually(
        lambda: get(client, tenant, campaign["id"]), lambda c: c["progress"]["sent"] >= 2
    )
    # At 1200/minute the other three would be out within 0.2 s without the cap.
    held = await eventually(
        lambda: get(client, tenant, campaign["id"]), lambda _: False, within=1.5
    )
    assert held["state"] == "running"
    assert held["progress"] == {"total": 5, "pending": 3, "sent": 2, "failed": 0, "skipped": 0}
    assert_each_once(await sent_log(client, tenant), 2)
    await act(client, tenant, campaign["id"], "cancel")


def test_phone_helper_avoids_the_simulators_unreachable_numbers() -> None:
    assert not any(phone(n).endswith("0000") for n in range(1, 20_001))
