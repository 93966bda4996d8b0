"""channels-api.txt: disconnect answers 422 while an outreach campaign is running or paused on
the channel, naming it, and 204 once it is cancelled or completed."""

from __future__ import annotations

from datetime import timedelta

import httpx

from skylight.kit.time import format_api_datetime, utcnow
from tests.campaigns.flows import act, connect_whatsapp, create, until_state, whatsapp_contacts
from tests.factories import TenantFixture

DISCONNECT = "/api/v1/channels/whatsapp/disconnect"


def quiet_now() -> dict[str, str]:
    """Quiet hours around now (the tenant's zone is UTC): the campaign runs but holds."""
    now = utcnow()
    return {
        "quiet_hours_start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "quiet_hours_end": (now + timedelta(hours=1)).strftime("%H:%M"),
    }


async def test_running_or_paused_is_422_naming_the_campaign_and_cancelled_is_204(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 2)
    campaign = await create(client, tenant, name="Ramadan greetings", filter={}, **quiet_now())
    # A draft holds nothing.
    await act(client, tenant, campaign["id"], "start")

    running = await client.post(DISCONNECT, headers=tenant.headers)
    assert running.status_code == 422, running.text
    assert running.json() == {
        "success": False,
        "message": "The outreach campaign 'Ramadan greetings' is running or paused on this "
        "channel. Cancel it first.",
    }

    await act(client, tenant, campaign["id"], "pause")
    paused = await client.post(DISCONNECT, headers=tenant.headers)
    assert paused.status_code == 422
    assert "'Ramadan greetings'" in paused.json()["message"]
    # Refused means untouched: the channel is still there and connected.
    status = await client.get("/api/v1/channels/whatsapp/status", headers=tenant.headers)
    assert status.json()["data"]["is_connected"] is True

    await act(client, tenant, campaign["id"], "cancel")
    done = await client.post(DISCONNECT, headers=tenant.headers)
    assert done.status_code == 204
    assert done.content == b""


async def test_a_completed_campaign_does_not_hold_the_channel(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 2)
    campaign = await create(client, tenant, filter={})
    await act(client, tenant, campaign["id"], "start")
    await until_state(client, tenant, campaign["id"], "completed")
    assert (await client.post(DISCONNECT, headers=tenant.headers)).status_code == 204


async def test_another_workspaces_campaign_does_not_hold_mine(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await connect_whatsapp(client, other_tenant)
    await whatsapp_contacts(client, other_tenant, 1)
    theirs = await create(client, other_tenant, filter={}, **quiet_now())
    await act(client, other_tenant, theirs["id"], "start")
    assert (await client.post(DISCONNECT, headers=tenant.headers)).status_code == 204
    await act(client, other_tenant, theirs["id"], "cancel")


async def test_a_scheduled_campaign_whose_channel_is_gone_pauses_when_due(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 1)
    campaign = await create(client, tenant, filter={})
    start_at = format_api_datetime(utcnow() + timedelta(seconds=1))
    await act(client, tenant, campaign["id"], "start", start_at=start_at)
    # Scheduled is neither running nor paused: the seed lets the channel go.
    assert (await client.post(DISCONNECT, headers=tenant.headers)).status_code == 204
    paused = await until_state(client, tenant, campaign["id"], "paused")
    assert paused["pause_reason"] == (
        "The WhatsApp channel is not connected. Connect it, then resume the campaign."
    )
    assert paused["progress"]["pending"] == 1
    await act(client, tenant, campaign["id"], "cancel")
