"""/api/v1/campaigns: create with a snapshot of recipients, list, get, and the transitions."""

from __future__ import annotations

import httpx

from tests.campaigns.flows import act, connect_whatsapp, create, get, until_state, whatsapp_contacts
from tests.factories import TenantFixture
from tests.sandbox_flows import make_contact


async def test_create_with_contact_ids_snapshots_one_recipient_per_contact(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    contacts = await whatsapp_contacts(client, tenant, 3)
    ids = [c["id"] for c in contacts]
    response = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Spring offer",
            "channel": "whatsapp",
            "message": "Hi {{name}}, 20% off this week.",
            "contact_ids": [*ids, ids[0]],  # a repeat is one recipient
            "daily_cap": 100,
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "08:00",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Campaign created. Start it to begin sending."
    data = body["data"]
    assert data["state"] == "draft"
    assert data["progress"] == {"total": 3, "pending": 3, "sent": 0, "failed": 0, "skipped": 0}
    assert data["quiet_hours_start"] == "22:00"
    assert data["quiet_hours_end"] == "08:00"
    assert data["daily_cap"] == 100
    assert data["pause_reason"] is None
    assert data["created_at"].endswith("Z")
    assert data["started_at"] is None

    # The recipients are a snapshot: a contact added later is not one of them.
    await make_contact(client, tenant, name="Late", channel="whatsapp", phone="+966559999991")
    assert (await get(client, tenant, data["id"]))["progress"]["total"] == 3


async def test_create_with_a_filter_takes_the_matching_contacts_of_that_channel(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await whatsapp_contacts(client, tenant, 4, name="Nora")
    await whatsapp_contacts(client, tenant, 0)
    await make_contact(client, tenant, name="Omar", channel="whatsapp", phone="+966558888881")
    await make_contact(client, tenant, name="Nora on Telegram", channel="telegram", username="nora")
    nora = await create(client, tenant, filter={"q": "nora"})
    assert nora["progress"]["total"] == 4
    everyone = await create(client, tenant, filter={})
    assert everyone["progress"]["total"] == 5


async def test_bad_input_is_422_per_field(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    [mine] = await whatsapp_contacts(client, tenant, 1)
    [theirs] = await whatsapp_contacts(client, other_tenant, 1)
    telegram = await make_contact(client, tenant, name="T", channel="telegram", username="someone")

    async def errors(body: dict[str, object]) -> dict[str, list[str]]:
        fields: dict[str, object] = {"name": "X", "channel": "whatsapp", "message": "Hi"}
        fields.update(body)
        response = await client.post("/api/v1/campaigns", json=fields, headers=tenant.headers)
        assert response.status_code == 422, response.text
        assert response.json()["success"] is False
        found: dict[str, list[str]] = response.json()["errors"]
        return found

    assert "name" in await errors({"name": ""})
    assert "channel" in await errors({"channel": "sms", "contact_ids": [mine["id"]]})
    assert "message" in await errors({"message": "", "contact_ids": [mine["id"]]})
    assert "message" in await errors({"message": "Hi {{first}}", "contact_ids": [mine["id"]]})
    assert "message" in await errors({"message": "a\x00b", "contact_ids": [mine["id"]]})
    both = await errors({"contact_ids": [mine["id"]], "filter": {}})
    assert set(both) == {"contact_ids", "filter"}
    assert set(await errors({})) == {"contact_ids", "filter"}
    assert "contact_ids" in await errors({"contact_ids": []})
    assert "contact_ids.0" in await errors({"contact_ids": [0]})
    # Another workspace's contact, or one of another channel, is not a recipient here.
    assert "contact_ids" in await errors({"contact_ids": [mine["id"], theirs["id"]]})
    assert "contact_ids" in await errors({"contact_ids": [telegram["id"]]})
    assert "filter" in await errors({"filter": {"q": "nobody-is-called-this"}})
    assert "filter.x" in await errors({"filter": {"x": 1}})
    assert "daily_cap" in await errors({"contact_ids": [mine["id"]], "daily_cap": 0})
    one_sided = await errors({"contact_ids": [mine["id"]], "quiet_hours_start": "22:00"})
    assert "quiet_hours_end" in one_sided
    bad_time = await errors(
        {"contact_ids": [mine["id"]], "quiet_hours_start": "25:00", "quiet_hours_end": "08:00"}
    )
    assert "quiet_hours_start" in bad_time
    assert "unexpected" in await errors({"contact_ids": [mine["id"]], "unexpected": 1})


async def test_list_pages_with_the_seed_meta_newest_first(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    [contact] = await whatsapp_contacts(client, tenant, 1)
    made = [
        await create(client, tenant, name=f"C{n}", contact_ids=[contact["id"]]) for n in range(3)
    ]
    await whatsapp_contacts(client, other_tenant, 1)
    await create(client, other_tenant, filter={})
    response = await client.get("/api/v1/campaigns", params={"per_page": 2}, headers=tenant.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"current_page": 1, "last_page": 2, "per_page": 2, "total": 3}
    assert [c["id"] for c in body["data"]] == [made[2]["id"], made[1]["id"]]
    assert body["data"][0]["progress"]["total"] == 1
    page2 = await client.get(
        "/api/v1/campaigns", params={"per_page": 2, "page": 2}, headers=tenant.headers
    )
    assert [c["id"] for c in page2.json()["data"]] == [made[0]["id"]]
    bad = await client.get("/api/v1/campaigns", params={"per_page": 0}, headers=tenant.headers)
    assert bad.status_code == 422
    assert "per_page" in bad.json()["errors"]


async def test_another_workspaces_campaign_is_404_everywhere(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    [contact] = await whatsapp_contacts(client, other_tenant, 1)
    theirs = await create(client, other_tenant, contact_ids=[contact["id"]])
    url = f"/api/v1/campaigns/{theirs['id']}"
    assert (await client.get(url, headers=tenant.headers)).status_code == 404
    for action in ("start", "pause", "resume", "cancel"):
        response = await client.post(f"{url}/{action}", headers=tenant.headers)
        assert response.status_code == 404, action
        assert response.json()["success"] is False
    assert (
        await client.get("/api/v1/campaigns/999999999", headers=tenant.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/campaigns/0", headers=tenant.headers)).status_code == 422
    assert (await client.get("/api/v1/campaigns")).status_code == 401


async def test_transitions_not_allowed_are_409_naming_the_current_state(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_whatsapp(client, tenant)
    [contact] = await whatsapp_contacts(client, tenant, 1)
    campaign = await create(client, tenant, contact_ids=[contact["id"]])
    cid = campaign["id"]

    for action in ("pause", "resume"):
        refused = await act(client, tenant, cid, action, expect=409)
        assert refused["success"] is False
        assert "is draft" in refused["message"]
        assert refused["data"] == {"state": "draft"}

    await act(client, tenant, cid, "start")
    done = await until_state(client, tenant, cid, "completed")
    assert done["progress"] == {"total": 1, "pending": 0, "sent": 1, "failed": 0, "skipped": 0}
    assert done["started_at"] is not None
    assert done["completed_at"] is not None
    for action in ("start", "pause", "resume", "cancel"):
        refused = await act(client, tenant, cid, action, expect=409)
        assert "is completed" in refused["message"]
        assert refused["data"] == {"state": "completed"}

    other = await create(client, tenant, contact_ids=[contact["id"]])
    cancelled = await act(client, tenant, other["id"], "cancel")
    assert cancelled["data"]["state"] == "cancelled"
    assert cancelled["message"] == "Campaign cancelled."
    refused = await act(client, tenant, other["id"], "start", expect=409)
    assert "is cancelled" in refused["message"]


async def test_start_needs_a_channel_that_is_ok(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    [contact] = await whatsapp_contacts(client, tenant, 1)
    campaign = await create(client, tenant, contact_ids=[contact["id"]])
    refused = await act(client, tenant, campaign["id"], "start", expect=422)
    assert "WhatsApp channel is not connected" in refused["message"]
    assert (await get(client, tenant, campaign["id"]))["state"] == "draft"


async def test_start_bad_input(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    [contact] = await whatsapp_contacts(client, tenant, 1)
    campaign = await create(client, tenant, contact_ids=[contact["id"]])
    url = f"/api/v1/campaigns/{campaign['id']}/start"
    naive = await client.post(url, json={"start_at": "2030-01-01T10:00:00"}, headers=tenant.headers)
    assert naive.status_code == 422
    assert "start_at" in naive.json()["errors"]
    extra = await client.post(url, json={"when": "now"}, headers=tenant.headers)
    assert extra.status_code == 422
