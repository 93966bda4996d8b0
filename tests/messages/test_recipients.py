"""A first message on Telegram or Instagram goes to the person's internal id, never their
username: resolved once with GET /users/{identifier}, stored on the contact, reused."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.contacts.models import Contact
from skylight.integrations.unipile.simulator.control import SimulatorControl
from tests.channels.helpers import connect_instagram
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, make_contact, sent_log

pytestmark = pytest.mark.both_databases


async def _send(
    client: httpx.AsyncClient, tenant: TenantFixture, contact_id: int, text: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact_id, "message": text},
        headers=tenant.headers,
    )


async def _provider_id(maker: async_sessionmaker[AsyncSession], contact_id: int) -> str | None:
    async with maker() as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        return contact.provider_id


async def test_telegram_username_and_phone_resolve_to_numeric_ids(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await connect_qr_channel(client, tenant, "telegram", "skylight_tg_301")
    by_name = await make_contact(client, tenant, name="Nora", channel="telegram", username="nora")
    by_phone = await make_contact(
        client, tenant, name="Omar", channel="telegram", phone="+966551230301"
    )
    for contact in (by_name, by_phone):
        first = await _send(client, tenant, contact["id"], f"hi {contact['name']}")
        assert first.status_code == 201, first.text
    control: SimulatorControl = app.state.simulator
    nora = await app.state.unipile.get_user(account_id, "nora")
    omar = await app.state.unipile.get_user(account_id, "+966551230301")
    sent = {s["text"]: s["attendee_provider_id"] for s in await sent_log(client, tenant)}
    assert sent == {"hi Nora": nora.provider_id, "hi Omar": omar.provider_id}
    assert all(value is not None and value.isdigit() for value in sent.values())
    # Stored on the contact: the id a webhook or a later chat will name them by.
    assert await _provider_id(sessionmaker, by_name["id"]) == nora.provider_id
    assert await _provider_id(sessionmaker, by_phone["id"]) == omar.provider_id
    assert len(await control.sent([account_id])) == 2


async def test_instagram_goes_to_the_messaging_id(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    connected = await connect_instagram(client, tenant, username="shop_301", password="pw")
    assert connected.status_code == 200, connected.text
    sara_in = {"name": "Sara", "channel": "instagram", "username": "sara.k"}
    contact = await make_contact(client, tenant, **sara_in)
    assert (await _send(client, tenant, contact["id"], "hello")).status_code == 201
    [sent] = await sent_log(client, tenant)
    sara = await app.state.unipile.get_user(sent["account_id"], "sara.k")
    assert sent["attendee_provider_id"] == sara.provider_messaging_id
    assert sent["attendee_provider_id"] != sara.provider_id  # not the pk
    # The chat exists now: the next message reuses it.
    assert (await _send(client, tenant, contact["id"], "again")).status_code == 201
    assert {s["chat_id"] for s in await sent_log(client, tenant)} == {sent["chat_id"]}


async def test_an_unknown_user_is_a_clear_422_and_a_failed_message(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    connected = await connect_instagram(client, tenant, username="shop_302", password="pw")
    assert connected.status_code == 200, connected.text
    ghost = await make_contact(
        client, tenant, name="Ghost", channel="instagram", username="unknown_ghost"
    )
    response = await _send(client, tenant, ghost["id"], "anyone there?")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False
    assert body["data"]["status"] == "failed"
    assert body["data"]["error"] == "No Instagram user named 'unknown_ghost'."
    stored = await client.get(f"/api/v1/messages/{body['data']['id']}", headers=tenant.headers)
    assert stored.json()["data"]["status"] == "failed"
    assert await sent_log(client, tenant) == []
