"""Opting out: a STOP (or START) reply, PATCH either way, the events, and a direct send that
still goes to an opted-out contact and says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skylight.contacts import optout
from skylight.contacts.optout import Choice, Keywords
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact

Json = dict[str, Any]
DEFAULTS = Keywords.from_settings(Settings())


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("STOP", Choice.OUT),
        ("  stop \n", Choice.OUT),
        ("Unsubscribe", Choice.OUT),
        ("stopall", Choice.OUT),
        ("CANCEL", Choice.OUT),
        ("إلغاء", Choice.OUT),
        ("الغاء", Choice.OUT),  # typed without the hamza
        ("ايقاف", Choice.OUT),
        ("إيقاف", Choice.OUT),
        ("\u200fتوقف", Choice.OUT),  # a right-to-left mark before it
        ("تـوقـف", Choice.OUT),  # stretched with tatweel
        ("START", Choice.IN),
        ("start", Choice.IN),
        ("اشتراك", Choice.IN),
        ("stop please", None),
        ("STOP!", None),
        ("Please don't stop", None),
        ("", None),
        (None, None),
        ("stop" * 100, None),
    ],
)
def test_only_a_whole_message_that_is_a_keyword_counts(
    text: str | None, choice: Choice | None
) -> None:
    assert DEFAULTS.choice(text) is choice


def test_the_keywords_come_from_the_settings() -> None:
    words = Keywords.from_settings(Settings(opt_out_keywords=["ARRET"], opt_in_keywords=["GO"]))
    # Accents do not matter, as Arabic diacritics do not.
    assert (words.choice("arrêt"), words.choice("Arret"), words.choice("go")) == (
        Choice.OUT,
        Choice.OUT,
        Choice.IN,
    )
    assert words.choice("STOP") is None


async def _contact(client: httpx.AsyncClient, tenant: TenantFixture, contact_id: int) -> Json:
    response = await client.get(f"/api/v1/contacts/{contact_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: Json = response.json()["data"]
    return data


async def _inbound(
    client: httpx.AsyncClient, tenant: TenantFixture, sender: str, text: str
) -> None:
    response = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": sender, "text": text},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text


async def _events(client: httpx.AsyncClient, tenant: TenantFixture, *types: str) -> list[Json]:
    response = await client.get(
        "/api/v1/events", params=[("type", t) for t in types], headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    data: list[Json] = response.json()["data"]
    return data


@pytest.mark.both_databases
async def test_stop_opts_out_and_start_opts_back_in(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000300")
    sara = await make_contact(
        client, tenant, name="Sara", channel="whatsapp", phone="+966501110001"
    )
    assert sara["opted_out_at"] is None

    await _inbound(client, tenant, "+966501110001", "Stop")
    opted = await eventually(
        lambda: _contact(client, tenant, sara["id"]), lambda c: c["opted_out_at"] is not None
    )
    assert opted["opted_out_at"].endswith("Z")
    [event] = await _events(client, tenant, "contact.opted_out")
    assert event["data"]["id"] == sara["id"]
    assert event["data"]["opted_out_at"] == opted["opted_out_at"]

    # Other messages change nothing; a second STOP neither (no second event).
    await _inbound(client, tenant, "+966501110001", "stop sending me offers?")
    await _inbound(client, tenant, "+966501110001", "STOP")
    await _inbound(client, tenant, "+966501110001", "اشتراك")
    back = await eventually(
        lambda: _contact(client, tenant, sara["id"]), lambda c: c["opted_out_at"] is None
    )
    assert back["opted_out_at"] is None
    kinds = [
        e["type"] for e in await _events(client, tenant, "contact.opted_out", "contact.opted_in")
    ]
    assert kinds == ["contact.opted_out", "contact.opted_in"]


@pytest.mark.both_databases
async def test_an_unknown_sender_s_stop_opts_out_the_new_contact(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000301")
    await _inbound(client, tenant, "+966501110002", "إلغاء")
    listing = await eventually(
        lambda: client.get("/api/v1/contacts", headers=tenant.headers),
        lambda r: r.json()["meta"]["total"] == 1 and r.json()["data"][0]["opted_out_at"],
    )
    assert listing.json()["data"][0]["opted_out_at"] is not None


@pytest.mark.both_databases
async def test_patch_sets_it_either_way(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    contact = await make_contact(client, tenant, name="Ali", channel="telegram", username="ali")
    out = await client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"opted_out": True}, headers=tenant.headers
    )
    assert out.status_code == 200, out.text
    assert out.json()["data"]["opted_out_at"] is not None
    again = await client.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"opted_out": True, "name": "Ali K"},
        headers=tenant.headers,
    )
    assert again.json()["data"]["opted_out_at"] == out.json()["data"]["opted_out_at"]
    assert again.json()["data"]["name"] == "Ali K"
    back = await client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"opted_out": False}, headers=tenant.headers
    )
    assert back.json()["data"]["opted_out_at"] is None
    for bad in ({"opted_out": None}, {"opted_out": "maybe"}, {"opted_out_at": None}):
        refused = await client.patch(
            f"/api/v1/contacts/{contact['id']}", json=bad, headers=tenant.headers
        )
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["success"] is False
    kinds = [
        e["type"] for e in await _events(client, tenant, "contact.opted_out", "contact.opted_in")
    ]
    assert kinds == ["contact.opted_out", "contact.opted_in"]


@pytest.mark.both_databases
async def test_an_older_keyword_never_undoes_a_newer_decision(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    """Reconciliation may find a START only after a later STOP (or a PATCH): it stays out."""
    contact = await make_contact(client, tenant, name="Omar", channel="telegram", username="omar")
    await client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"opted_out": True}, headers=tenant.headers
    )
    db: Database = app.state.db
    async with db.transaction() as session:
        await optout.on_message(
            session,
            tenant.workspace_id,
            contact["id"],
            "START",
            utcnow() - timedelta(hours=1),
            inbound=True,
        )
    assert (await _contact(client, tenant, contact["id"]))["opted_out_at"] is not None
    async with db.transaction() as session:
        await optout.on_message(
            session, tenant.workspace_id, contact["id"], "START", utcnow(), inbound=False
        )  # what the account itself wrote never counts
    assert (await _contact(client, tenant, contact["id"]))["opted_out_at"] is not None
    async with db.transaction() as session:
        await optout.on_message(
            session, tenant.workspace_id, contact["id"], "START", utcnow(), inbound=True
        )
    assert (await _contact(client, tenant, contact["id"]))["opted_out_at"] is None


@pytest.mark.both_databases
async def test_a_direct_send_to_an_opted_out_contact_goes_and_says_so(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000302")
    contact = await make_contact(
        client, tenant, name="Huda", channel="whatsapp", phone="+966501110003"
    )

    async def send() -> Json:
        response = await client.post(
            "/api/v1/messages/send",
            json={"contact_id": contact["id"], "message": "Your booking is confirmed."},
            headers=tenant.headers,
        )
        assert response.status_code == 201, response.text
        data: Json = response.json()["data"]
        return data

    assert (await send())["opted_out"] is False
    await client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"opted_out": True}, headers=tenant.headers
    )
    sent = await send()
    assert (sent["status"], sent["opted_out"]) == ("sent", True)
