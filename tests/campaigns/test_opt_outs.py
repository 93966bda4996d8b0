"""Campaigns never message an opted-out contact: skipped when the campaign is created, and
again when their turn comes (they may opt out mid-campaign); the progress counts them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.campaigns.flows import (
    act,
    assert_each_once,
    connect_whatsapp,
    create,
    until_state,
    whatsapp_contacts,
)
from tests.factories import TenantFixture
from tests.sandbox_flows import eventually, sent_log

pytestmark = pytest.mark.both_databases

Json = dict[str, Any]


async def _reply(client: httpx.AsyncClient, tenant: TenantFixture, phone: str, text: str) -> None:
    response = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": phone, "text": text},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text


async def _opted_out(client: httpx.AsyncClient, tenant: TenantFixture, contact: Json) -> bool:
    response = await client.get(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers)
    return response.json()["data"]["opted_out_at"] is not None


def _to(sent: list[Json]) -> set[str]:
    return {s["attendee_provider_id"].split("@")[0] for s in sent}


async def test_stop_keeps_a_contact_out_of_campaigns_until_start(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    contacts = await whatsapp_contacts(client, tenant, 4, name="Reem")
    stopper = contacts[1]
    await _reply(client, tenant, stopper["phone"], "STOP")
    assert await eventually(lambda: _opted_out(client, tenant, stopper), bool)

    campaign = await create(client, tenant, filter={})
    assert campaign["progress"] == {
        "total": 4,
        "pending": 3,
        "sent": 0,
        "failed": 0,
        "skipped": 1,
    }
    await act(client, tenant, campaign["id"], "start")
    done = await until_state(client, tenant, campaign["id"], "completed")
    assert done["progress"] == {"total": 4, "pending": 0, "sent": 3, "failed": 0, "skipped": 1}
    sent = await sent_log(client, tenant)
    assert_each_once(sent, 3)
    assert stopper["phone"].removeprefix("+") not in _to(sent)

    await _reply(client, tenant, stopper["phone"], "start")
    assert not await eventually(lambda: _opted_out(client, tenant, stopper), lambda v: not v)
    again = await create(client, tenant, filter={}, message="Back: {{name}}")
    await act(client, tenant, again["id"], "start")
    finished = await until_state(client, tenant, again["id"], "completed")
    assert finished["progress"]["sent"] == 4
    assert finished["progress"]["skipped"] == 0
    later = [s for s in await sent_log(client, tenant) if s["text"].startswith("Back:")]
    assert stopper["phone"].removeprefix("+") in _to(later)


async def test_an_opt_out_after_the_campaign_was_made_is_honoured_at_send_time(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    contacts = await whatsapp_contacts(client, tenant, 3, name="Fahd")
    campaign = await create(client, tenant, filter={})
    assert campaign["progress"]["pending"] == 3
    # Opted out after the recipients were chosen, before their turn.
    response = await client.patch(
        f"/api/v1/contacts/{contacts[2]['id']}", json={"opted_out": True}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    await act(client, tenant, campaign["id"], "start")
    done = await until_state(client, tenant, campaign["id"], "completed")
    assert done["progress"] == {"total": 3, "pending": 0, "sent": 2, "failed": 0, "skipped": 1}
    sent = await sent_log(client, tenant)
    assert_each_once(sent, 2)
    assert contacts[2]["phone"].removeprefix("+") not in _to(sent)
