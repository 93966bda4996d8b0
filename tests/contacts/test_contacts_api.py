from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import TenantFixture

pytestmark = pytest.mark.both_databases

SARAH = {"name": "Sarah Johnson", "channel": "whatsapp", "phone": "+966 50 123 4567"}


async def create(client: httpx.AsyncClient, tenant: TenantFixture, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/contacts", json=body, headers=tenant.headers)


async def test_create_normalises_phone_and_returns_the_contact(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await create(client, tenant, **SARAH)
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Contact created."
    contact = body["data"]
    assert contact["phone"] == "+966501234567"
    assert contact["name"] == "Sarah Johnson"
    assert contact["channel"] == "whatsapp"
    assert contact["username"] is None
    assert contact["created_at"].endswith("Z")
    assert len(contact["created_at"]) == 27
    fetched = await client.get(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers)
    assert fetched.json() == {"success": True, "data": contact}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "channel": "whatsapp"}, "phone"),
        ({"name": "A", "channel": "whatsapp", "phone": "0501234567"}, "phone"),
        ({"name": "A", "channel": "whatsapp", "phone": "+1 555"}, "phone"),
        ({"name": "A", "channel": "instagram"}, "username"),
        ({"name": "A", "channel": "instagram", "username": "bad name!"}, "username"),
        ({"name": "A", "channel": "telegram"}, "username"),
        ({"name": "", "channel": "telegram", "username": "abc"}, "name"),
        ({"name": "x" * 256, "channel": "telegram", "username": "abc"}, "name"),
        ({"name": "A\u0000B", "channel": "telegram", "username": "abc"}, "name"),
        ({"name": "A", "channel": "sms", "username": "abc"}, "channel"),
        ({"name": "A", "channel": "telegram", "username": "abc", "extra": 1}, "extra"),
        ({"name": ["A"], "channel": "telegram", "username": "abc"}, "name"),
    ],
)
async def test_invalid_contacts_are_422_per_field(
    client: httpx.AsyncClient, tenant: TenantFixture, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/contacts", json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert response.json()["success"] is False
    assert field in response.json()["errors"]


async def test_telegram_takes_a_username_or_a_phone(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    by_name = await create(client, tenant, name="T", channel="telegram", username="@Tg_User")
    assert by_name.status_code == 201
    assert by_name.json()["data"]["username"] == "Tg_User"
    by_phone = await create(client, tenant, name="P", channel="telegram", phone="+966501234568")
    assert by_phone.status_code == 201


async def test_same_handle_on_one_channel_is_409(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    first = await create(client, tenant, **SARAH)
    again = await create(client, tenant, **{**SARAH, "phone": "00966501234567", "name": "Other"})
    assert again.status_code == 409
    body = again.json()
    assert body["success"] is False
    assert "phone" in body["errors"]
    assert body["data"] == {"id": first.json()["data"]["id"]}
    # Usernames compare case-insensitively; another channel may reuse the handle.
    await create(client, tenant, name="I", channel="instagram", username="Brand")
    dup = await create(client, tenant, name="I2", channel="instagram", username="brand")
    assert dup.status_code == 409
    other_channel = await create(client, tenant, name="T", channel="telegram", username="brand")
    assert other_channel.status_code == 201


async def test_list_paginates_filters_and_searches(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    for i in range(17):
        await create(client, tenant, name=f"Person {i}", channel="telegram", username=f"user_{i}")
    await create(client, tenant, name="Sarah 100%", channel="instagram", username="sarah_ig")

    first = (await client.get("/api/v1/contacts", headers=tenant.headers)).json()
    assert first["meta"] == {"current_page": 1, "last_page": 2, "per_page": 15, "total": 18}
    assert len(first["data"]) == 15
    assert first["data"][0]["name"] == "Sarah 100%"  # newest first

    second = await client.get(
        "/api/v1/contacts", params={"page": 2, "per_page": 15}, headers=tenant.headers
    )
    assert len(second.json()["data"]) == 3
    ids = [c["id"] for c in first["data"] + second.json()["data"]]
    assert len(set(ids)) == 18

    ig = await client.get(
        "/api/v1/contacts", params={"channel": "instagram"}, headers=tenant.headers
    )
    assert [c["username"] for c in ig.json()["data"]] == ["sarah_ig"]

    search = await client.get("/api/v1/contacts", params={"q": "USER_1"}, headers=tenant.headers)
    assert {c["username"] for c in search.json()["data"]} == {"user_1"} | {
        f"user_{i}" for i in range(10, 17)
    }
    # LIKE wildcards in q are literal text.
    percent = await client.get("/api/v1/contacts", params={"q": "100%"}, headers=tenant.headers)
    assert [c["name"] for c in percent.json()["data"]] == ["Sarah 100%"]
    wildcard = await client.get("/api/v1/contacts", params={"q": "%"}, headers=tenant.headers)
    assert wildcard.json()["meta"]["total"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"per_page": 101},
        {"per_page": 0},
        {"page": "two"},
        {"channel": "fax"},
        {"page": 10**30},
        {"q": "x" * 101},
    ],
)
async def test_bad_list_params_are_422(
    client: httpx.AsyncClient, tenant: TenantFixture, params: dict[str, Any]
) -> None:
    response = await client.get("/api/v1/contacts", params=params, headers=tenant.headers)
    assert response.status_code == 422
    assert response.json()["success"] is False


async def test_update_and_delete(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    contact = (await create(client, tenant, **SARAH)).json()["data"]
    url = f"/api/v1/contacts/{contact['id']}"
    patched = await client.patch(
        url, json={"name": "Sarah J.", "phone": "+966501234999"}, headers=tenant.headers
    )
    assert patched.status_code == 200
    assert patched.json()["data"]["name"] == "Sarah J."
    assert patched.json()["data"]["phone"] == "+966501234999"
    assert patched.json()["data"]["updated_at"] >= contact["updated_at"]

    cleared = await client.patch(url, json={"phone": None}, headers=tenant.headers)
    assert cleared.status_code == 422  # WhatsApp needs a phone
    assert "phone" in cleared.json()["errors"]

    deleted = await client.delete(url, headers=tenant.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(url, headers=tenant.headers)).status_code == 404
    assert (await client.delete(url, headers=tenant.headers)).status_code == 404


async def test_update_to_an_existing_handle_is_409(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await create(client, tenant, **SARAH)
    other = await create(client, tenant, name="B", channel="whatsapp", phone="+966501234570")
    response = await client.patch(
        f"/api/v1/contacts/{other.json()['data']['id']}",
        json={"phone": SARAH["phone"]},
        headers=tenant.headers,
    )
    assert response.status_code == 409


async def test_another_workspace_cannot_see_or_touch_contacts(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    contact = (await create(client, tenant, **SARAH)).json()["data"]
    url = f"/api/v1/contacts/{contact['id']}"
    not_found = {"success": False, "message": f"Contact {contact['id']} not found."}
    for method, body in [("GET", None), ("PATCH", {"name": "Hijacked"}), ("DELETE", None)]:
        response = await client.request(method, url, headers=other_tenant.headers, json=body)
        assert response.status_code == 404, method
        assert response.json() == not_found
    listed = await client.get("/api/v1/contacts", headers=other_tenant.headers)
    assert listed.json()["meta"]["total"] == 0
    # The owner still sees it unchanged, and the same handle is free in the other workspace.
    still = await client.get(url, headers=tenant.headers)
    assert still.json()["data"]["name"] == "Sarah Johnson"
    assert (await create(client, other_tenant, **SARAH)).status_code == 201


@pytest.mark.parametrize("contact_id", ["0", "-1", "abc", str(2**31), str(10**40)])
async def test_out_of_range_ids_are_422(
    client: httpx.AsyncClient, tenant: TenantFixture, contact_id: str
) -> None:
    response = await client.get(f"/api/v1/contacts/{contact_id}", headers=tenant.headers)
    assert response.status_code == 422
    assert "contact_id" in response.json()["errors"]
