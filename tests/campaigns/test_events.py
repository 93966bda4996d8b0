"""A campaign's own events: campaign.completed when every recipient is settled (in /events and
on a webhook endpoint), and campaign.paused when it pauses, including when its send loop gives
up for good: then it is paused with the reason, never left running, and lets go of its
channel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from skylight.campaigns.runner import Runner
from skylight.jobs.models import Job
from skylight.kit.db import Database
from skylight.kit.time import utcnow
from tests.campaigns.flows import act, connect_whatsapp, create, until_state, whatsapp_contacts
from tests.events.receiver import Receiver
from tests.factories import TenantFixture
from tests.processes import free_port
from tests.sandbox_flows import eventually
from tests.servers import serve_in_loop

pytestmark = pytest.mark.both_databases


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    port = free_port()
    async with serve_in_loop(hook.app(), port):
        yield hook, f"http://127.0.0.1:{port}/hook"


async def _events(client: httpx.AsyncClient, tenant: TenantFixture, type: str) -> list[Any]:
    response = await client.get("/api/v1/events", params={"type": type}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [event["data"] for event in response.json()["data"]]


async def test_campaign_completed_appears_in_events_and_on_a_webhook_endpoint(
    client: httpx.AsyncClient, tenant: TenantFixture, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    endpoint = await client.post(
        "/api/v1/webhook-endpoints",
        json={"url": url, "event_types": ["campaign.completed"]},
        headers=tenant.headers,
    )
    assert endpoint.status_code == 201, endpoint.text
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 3)
    campaign = await create(client, tenant, filter={})
    await act(client, tenant, campaign["id"], "start")
    await until_state(client, tenant, campaign["id"], "completed")

    [completed] = await _events(client, tenant, "campaign.completed")
    assert (completed["id"], completed["state"]) == (campaign["id"], "completed")
    assert completed["progress"] == {
        "total": 3, "pending": 0, "sent": 3, "failed": 0, "skipped": 0
    }  # fmt: skip
    delivered = await eventually(lambda: _bodies(hook), lambda bodies: len(bodies) >= 1)
    assert [(b["type"], b["data"]["id"]) for b in delivered] == [
        ("campaign.completed", campaign["id"])
    ]


async def _bodies(hook: Receiver) -> list[dict[str, Any]]:
    return [json.loads(body) for _headers, body in hook.requests]


async def test_a_campaign_whose_send_loop_gives_up_is_paused_and_lets_go_of_its_channel(
    campaign_app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 2)
    campaign = await create(client, tenant, name="Doomed", filter={})
    real_run = Runner.run

    async def broken(self: Runner) -> None:
        if self.campaign_id == campaign["id"]:
            raise RuntimeError("the send loop hit a bug")
        await real_run(self)

    monkeypatch.setattr(Runner, "run", broken)
    await act(client, tenant, campaign["id"], "start")
    async with db.transaction() as session:
        # Its last attempt now (a real one has 50, hours apart).
        await session.execute(
            update(Job)
            .where(Job.dedupe_key == f"campaign:{campaign['id']}:1")
            .values(max_attempts=1, run_at=utcnow())
        )
    campaign_app.state.worker.wake()

    paused = await until_state(client, tenant, campaign["id"], "paused")
    assert paused["pause_reason"].startswith("Its send loop failed too often and stopped")
    assert "RuntimeError: the send loop hit a bug" in paused["pause_reason"]
    events = await _events(client, tenant, "campaign.paused")
    assert [(e["id"], e["state"]) for e in events] == [(campaign["id"], "paused")]
    # Not holding the channel: it can be disconnected (a campaign paused otherwise cannot).
    disconnect = await client.post("/api/v1/channels/whatsapp/disconnect", headers=tenant.headers)
    assert disconnect.status_code == 204, disconnect.text
