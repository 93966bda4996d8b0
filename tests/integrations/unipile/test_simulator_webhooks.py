"""Webhook deliveries: payload shapes, headers, retries, faults, resuming after a restart."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from skylight.integrations.unipile import whatsapp_provider_id
from skylight.integrations.unipile.schemas import (
    AccountStatusWebhookPayload,
    MessagingWebhookPayload,
    parse_webhook_payload,
)
from skylight.integrations.unipile.simulator.dispatcher import Dispatcher
from tests.integrations.unipile.conftest import (
    Receiver,
    Sim,
    StartSim,
    connected_instagram,
    connected_whatsapp,
)
from tests.integrations.unipile.harness import Received

MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECRET = {"Unipile-Auth": "webhook-secret"}
# Unipile's messaging events (SDK WebhookMessagingTriggerEventSchema): no message_delivered.
ALL_EVENTS = ["message_received", "message_read", "message_reaction"]


def count(n: int) -> Any:
    return lambda received: len(received) >= n


async def hook(sim: Sim, receiver: Receiver, source: str, **kwargs: Any) -> str:
    created = await sim.client.create_webhook(
        f"{receiver.url}/{source}", source, name=f"{source} hook", headers=SECRET, **kwargs
    )
    return created.webhook_id


async def test_message_received_payload(sim: Sim, receiver: Receiver) -> None:
    account_id = await connected_whatsapp(sim)
    await hook(sim, receiver, "messaging")
    inbound = await sim.control.inbound(account_id, "+966 55 123 4567", "Salam", name="Kim")
    [delivery] = await receiver.app.wait_for(count(1))
    assert delivery.path == "/messaging"
    assert delivery.headers["unipile-auth"] == "webhook-secret"
    assert "content-type" not in delivery.headers  # like Unipile: only registered headers
    payload = delivery.json()
    assert set(payload) == {
        "account_id", "account_type", "account_info", "event", "chat_id", "timestamp",
        "webhook_name", "message_id", "message", "is_sender", "sender", "attendees",
        "attachments",
    }  # fmt: skip
    assert payload["is_sender"] is False  # a real boolean, as in live payloads
    assert payload["account_id"] == account_id
    assert payload["account_type"] == "WHATSAPP"
    assert payload["account_info"] == {
        "type": "WHATSAPP",
        "feature": "classic",
        "user_id": "966501234567@s.whatsapp.net",
    }
    assert payload["event"] == "message_received"
    assert payload["chat_id"] == inbound.chat_id
    assert payload["message_id"] == inbound.message_id
    assert payload["message"] == "Salam"
    assert payload["webhook_name"] == "messaging hook"
    assert MS_UTC.match(payload["timestamp"])
    kim = {
        "attendee_id": inbound.attendee_id,
        "attendee_name": "Kim",
        "attendee_provider_id": "966551234567@s.whatsapp.net",
    }
    assert payload["sender"] == kim
    assert payload["attendees"] == [kim]
    assert payload["attachments"] == []
    parsed = parse_webhook_payload(payload)
    assert isinstance(parsed, MessagingWebhookPayload)
    assert not parsed.is_from_account


async def test_api_sends_echo_with_is_sender_semantics(sim: Sim, receiver: Receiver) -> None:
    account_id = await connected_whatsapp(sim)
    await hook(sim, receiver, "messaging", events=ALL_EVENTS)
    bob = whatsapp_provider_id("+966551234567")
    started = await sim.client.start_chat(account_id, [bob], "from the API")
    await sim.control.inbound(account_id, "+966551234567", "from my phone", from_me=True)
    received = await receiver.app.wait_for(count(2))
    echo_raw, phone_raw = (r.json() for r in received)
    # Like live payloads: is_sender says who wrote it, and account_info is absent.
    assert echo_raw["is_sender"] is True
    assert "account_info" not in echo_raw
    echo, phone = (MessagingWebhookPayload.model_validate(p) for p in (echo_raw, phone_raw))
    assert echo.message_id == started.message_id
    assert echo.is_from_account
    assert echo.sender is not None
    assert echo.sender.attendee_provider_id == "966501234567@s.whatsapp.net"
    assert echo.attendees[0].attendee_provider_id == bob
    assert phone.message == "from my phone"
    assert phone.is_from_account

    assert started.message_id is not None
    delivered = await sim.control.receipt(started.message_id, "delivered")
    assert (delivered.delivered, delivered.seen) == (1, 0)
    read = await sim.control.receipt(started.message_id, "read")
    assert read.seen == 1
    assert read.delivered == 1
    assert bob in read.seen_by
    # No webhook for delivery (Unipile has none): only the read is announced.
    [receipt] = [r.json() for r in await receiver.app.wait_for(count(3))][2:]
    await asyncio.sleep(0.2)
    assert len(receiver.app.received) == 3
    assert receipt["event"] == "message_read"
    assert receipt["message_id"] == started.message_id
    # Its own shape: no sender block, no text.
    assert {"sender", "message", "attendees"}.isdisjoint(receipt)
    parsed = MessagingWebhookPayload.model_validate(receipt)
    assert parsed.sender is None


async def test_reaction_payload(sim: Sim, receiver: Receiver) -> None:
    account_id = await connected_whatsapp(sim)
    await hook(sim, receiver, "messaging", events=["message_reaction"])
    inbound = await sim.control.inbound(account_id, "+966551234567", "hello", name="Kim")
    await sim.control.react(inbound.message_id, "\N{THUMBS UP SIGN}", from_me=True)
    [delivery] = await receiver.app.wait_for(count(1))
    payload = delivery.json()
    assert payload["event"] == "message_reaction"
    assert payload["reaction"] == "\N{THUMBS UP SIGN}"
    assert payload["reaction_sender"]["attendee_provider_id"] == "966501234567@s.whatsapp.net"
    assert payload["sender"]["attendee_name"] == "Kim"  # the author of the message
    assert payload["is_sender"] is True
    assert "message" not in payload


async def test_attachments_are_an_array(sim: Sim, receiver: Receiver) -> None:
    account_id = await connected_whatsapp(sim)
    await hook(sim, receiver, "messaging")
    await sim.control.inbound(
        account_id, "+966551234567", None, attachments=[{"type": "img", "mimetype": "image/jpeg"}]
    )
    [delivery] = await receiver.app.wait_for(count(1))
    payload = delivery.json()
    assert payload["message"] is None
    [attachment] = payload["attachments"]
    assert attachment["type"] == "img"
    assert attachment["mimetype"] == "image/jpeg"
    assert attachment["unavailable"] is False
    assert MessagingWebhookPayload.model_validate(payload).attachments == [attachment]


async def test_instagram_senders_are_numeric_ids_with_their_profile(
    sim: Sim, receiver: Receiver
) -> None:
    account_id = await connected_instagram(sim)
    await hook(sim, receiver, "messaging")
    await sim.control.inbound(account_id, "sara.k", "hi")
    [delivery] = await receiver.app.wait_for(count(1))
    sender = delivery.json()["sender"]
    profile = await sim.client.get_user(account_id, "sara.k")
    assert sender["attendee_provider_id"] == profile.provider_messaging_id
    assert sender["attendee_provider_id"].isdigit()
    assert sender["attendee_profile_url"] == "https://www.instagram.com/sara.k/"


async def test_no_echo_when_disabled(start_sim: StartSim, receiver: Receiver) -> None:
    async with start_sim(echo_api_messages=False) as sim:
        account_id = await connected_whatsapp(sim)
        await hook(sim, receiver, "messaging")
        await sim.client.start_chat(account_id, [whatsapp_provider_id("+966551234567")], "x")
        await sim.control.inbound(account_id, "+966551234567", "inbound")
        [only] = await receiver.app.wait_for(count(1))
        await asyncio.sleep(0.2)
    assert only.json()["message"] == "inbound"
    assert len(receiver.app.received) == 1


async def test_default_events_exclude_receipts(sim: Sim, receiver: Receiver) -> None:
    account_id = await connected_whatsapp(sim)
    await hook(sim, receiver, "messaging")
    inbound = await sim.control.inbound(account_id, "+966551234567", "hello")
    await sim.control.receipt(inbound.message_id, "read")
    await receiver.app.wait_for(count(1))
    await asyncio.sleep(0.2)
    assert [p["event"] for p in receiver.app.payloads()] == ["message_received"]


async def test_account_status_sequence(sim: Sim, receiver: Receiver) -> None:
    await hook(sim, receiver, "account_status")
    account_id = await connected_whatsapp(sim)
    await sim.control.set_status(account_id, "CREDENTIALS")
    await sim.control.set_status(account_id, "RECONNECTED")  # webhook only
    await sim.client.delete_account(account_id)
    received = await receiver.app.wait_for(count(6))
    payloads = [r.json() for r in received]
    assert payloads[0] == {
        "AccountStatus": {
            "account_id": account_id,
            "account_type": "WHATSAPP",
            "message": "CREATION_SUCCESS",
        }
    }
    messages = [p["AccountStatus"]["message"] for p in payloads]
    assert messages == [
        "CREATION_SUCCESS",
        "OK",
        "SYNC_SUCCESS",
        "CREDENTIALS",
        "RECONNECTED",
        "DELETED",
    ]
    assert all(r.headers["unipile-auth"] == "webhook-secret" for r in received)
    assert all("content-type" not in r.headers for r in received)
    parsed = parse_webhook_payload(payloads[1])
    assert isinstance(parsed, AccountStatusWebhookPayload)
    assert parsed.account_status.message == "OK"


async def test_instagram_2fa_status_sequence(sim: Sim, receiver: Receiver) -> None:
    await hook(sim, receiver, "account_status")
    first = await sim.client.connect_account("INSTAGRAM", username="2fa_shop", password="pw")
    await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "123456")
    received = await receiver.app.wait_for(count(3))
    assert [r.json()["AccountStatus"]["message"] for r in received] == [
        "CREATION_SUCCESS",
        "OK",
        "SYNC_SUCCESS",
    ]
    assert (await sim.client.get_account(first.account_id)).status == "OK"


async def test_account_filter(sim: Sim, receiver: Receiver) -> None:
    mine = await connected_instagram(sim, "mine")
    other = await connected_instagram(sim, "other")
    await hook(sim, receiver, "messaging", account_ids=[mine])
    await sim.control.inbound(other, "someone", "not for this hook")
    await sim.control.inbound(mine, "someone", "for this hook")
    await receiver.app.wait_for(count(1))
    await asyncio.sleep(0.2)
    assert [p["message"] for p in receiver.app.payloads()] == ["for this hook"]


async def test_retries_until_receiver_accepts(sim: Sim, receiver: Receiver) -> None:
    receiver.app.fail_first = 3
    account_id = await connected_instagram(sim)
    await hook(sim, receiver, "messaging")
    await sim.control.inbound(account_id, "fan", "eventually")
    await receiver.app.wait_for(count(1))
    assert receiver.app.attempts == 4


async def test_gives_up_after_max_retries(start_sim: StartSim, receiver: Receiver) -> None:
    receiver.app.fail_first = 100
    async with start_sim(webhook_max_retries=2, webhook_retry_base_seconds=0.02) as sim:
        account_id = await connected_instagram(sim)
        await hook(sim, receiver, "messaging")
        await sim.control.inbound(account_id, "fan", "lost")
        await asyncio.sleep(0.6)
    assert receiver.app.attempts == 3  # the first attempt and 2 retries


async def test_deliveries_resume_after_restart(start_sim: StartSim, receiver: Receiver) -> None:
    receiver.app.fail_first = 1
    async with start_sim(webhook_retry_base_seconds=1.0) as sim:
        account_id = await connected_instagram(sim)
        await hook(sim, receiver, "messaging")
        inbound = await sim.control.inbound(account_id, "fan", "survives a restart")
        await receiver.app.wait_attempts(1)
    # The first attempt failed; the retry was pending when the simulator stopped.
    assert receiver.app.received == []
    async with start_sim(webhook_retry_base_seconds=1.0):
        [delivery] = await receiver.app.wait_for(count(1))
    assert delivery.json()["message_id"] == inbound.message_id


async def test_drop_and_duplicate_faults(sim: Sim, receiver: Receiver) -> None:
    account_id = await connected_instagram(sim)
    await hook(sim, receiver, "messaging")
    await sim.control.set_faults(webhook_drop_rate=1.0)
    await sim.control.inbound(account_id, "fan", "dropped")
    await sim.control.set_faults(webhook_duplicate_rate=1.0)
    assert (await sim.control.get_faults()).webhook_drop_rate == 0
    await sim.control.inbound(account_id, "fan", "twice")
    received: list[Received] = await receiver.app.wait_for(count(2))
    await asyncio.sleep(0.2)
    assert [r.json()["message"] for r in received] == ["twice", "twice"]
    assert received[0].body == received[1].body


async def test_deleted_webhook_stops_retrying(sim: Sim, receiver: Receiver) -> None:
    receiver.app.fail_first = 100
    account_id = await connected_instagram(sim)
    webhook_id = await hook(sim, receiver, "messaging")
    await sim.control.inbound(account_id, "fan", "never")
    await receiver.app.wait_attempts(1)
    await sim.client.delete_webhook(webhook_id)
    attempts = receiver.app.attempts
    await asyncio.sleep(0.5)
    assert receiver.app.attempts <= attempts + 1  # at most the one already in flight


async def test_an_idle_simulator_does_not_poll(
    start_sim: StartSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing pending, nothing connecting: its loop sleeps instead of looking 20 times a
    second (each look a write transaction, in every embedded simulator)."""
    looks = 0
    tick = Dispatcher._tick

    async def counted(self: Dispatcher) -> int | None:
        nonlocal looks
        looks += 1
        return await tick(self)

    monkeypatch.setattr(Dispatcher, "_tick", counted)
    async with start_sim():
        await asyncio.sleep(0.6)
    # Its first look, and room for a busy machine; polling every 50 ms made 12 to 15.
    assert looks <= 4
