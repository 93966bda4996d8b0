"""UnipileClient messaging methods and error types against the running simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from skylight.integrations.unipile import UnipileClient, whatsapp_provider_id
from skylight.integrations.unipile.errors import (
    UnipileAccountDisconnected,
    UnipileApiKeyRejected,
    UnipileBadRequest,
    UnipileInvalidRecipient,
    UnipileNotFound,
    UnipilePermanentError,
    UnipileUnauthorized,
)
from tests.integrations.unipile.conftest import (
    API_KEY,
    Sim,
    connected_instagram,
    connected_whatsapp,
)

BOB = "+966 55 123 4567"


async def test_start_chat_then_send(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    started = await sim.client.start_chat(account_id, [whatsapp_provider_id(BOB)], "Hello Bob")
    assert started.chat_id is not None
    assert started.message_id is not None
    again = await sim.client.start_chat(account_id, [whatsapp_provider_id(BOB)], "Again")
    assert again.chat_id == started.chat_id  # one 1:1 chat per user
    sent = await sim.client.send_message(started.chat_id, "Third")
    assert sent.message_id is not None

    chat = await sim.client.get_chat(started.chat_id)
    assert chat.provider_id == "966551234567@s.whatsapp.net"
    assert chat.last_message is not None
    assert chat.last_message.id == sent.message_id
    messages = await sim.client.list_chat_messages(started.chat_id)
    assert [m.text for m in messages.items] == ["Third", "Again", "Hello Bob"]
    assert all(m.is_sender == 1 for m in messages.items)
    one = await sim.client.get_message(sent.message_id)
    assert one.text == "Third"
    assert one.chat_id == started.chat_id

    log = await sim.control.sent([account_id])
    assert [entry.text for entry in log] == ["Third", "Again", "Hello Bob"]
    assert log[0].attendee_provider_id == "966551234567@s.whatsapp.net"


async def test_lists_with_filters_and_pages(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    for i in range(4):
        await sim.control.inbound(account_id, f"+96655000{i:04d}1", f"hi {i}", name=f"P{i}")
    chats = await sim.client.list_chats(account_id, limit=3)
    assert len(chats.items) == 3
    assert chats.cursor is not None
    rest = await sim.client.list_chats(account_id, cursor=chats.cursor)
    assert len(rest.items) == 1
    assert rest.cursor is None
    assert [c.name for c in [*chats.items, *rest.items]] == ["P3", "P2", "P1", "P0"]
    walked = [chat.id async for chat in sim.client.iter_chats(account_id, page_size=1)]
    assert len(walked) == 4

    messages = await sim.client.list_messages(account_id, limit=2)
    assert [m.text for m in messages.items] == ["hi 3", "hi 2"]
    newest = messages.items[0].timestamp
    older = await sim.client.list_messages(account_id, before=newest)
    assert [m.text for m in older.items] == ["hi 2", "hi 1", "hi 0"]
    future = await sim.client.list_messages(account_id, after=datetime.now(UTC) + timedelta(1))
    assert future.items == []
    assert future.cursor is None

    chat_id = chats.items[0].id
    page = [m async for m in sim.client.iter_chat_messages(chat_id, page_size=1)]
    assert [m.text for m in page] == ["hi 3"]


async def test_attendees(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    inbound = await sim.control.inbound(account_id, BOB, "salam", name="Bob")
    attendees = await sim.client.list_chat_attendees(inbound.chat_id)
    by_self = {a.is_self: a for a in attendees.items}
    assert by_self[0].provider_id == "966551234567@s.whatsapp.net"
    assert by_self[0].name == "Bob"
    assert by_self[1].provider_id == "966501234567@s.whatsapp.net"


async def test_wrong_api_key(sim: Sim) -> None:
    async with UnipileClient(sim.url, "not-the-key", max_retries=0) as client:
        with pytest.raises(UnipileUnauthorized) as caught:
            await client.list_accounts()
    # Our key refused: errors/missing_credentials (invalid_credentials is a wrong password).
    assert isinstance(caught.value, UnipileApiKeyRejected)
    assert caught.value.type == "errors/missing_credentials"
    assert "not-the-key" not in str(caught.value)


async def test_not_found(sim: Sim) -> None:
    with pytest.raises(UnipileNotFound):
        await sim.client.get_chat("missing")
    with pytest.raises(UnipileNotFound):
        await sim.client.send_message("missing", "hi")
    with pytest.raises(UnipileNotFound):
        await sim.client.delete_webhook("missing")


@pytest.mark.parametrize(
    ("attendee", "error_type"),
    [
        ("+966551234567", "errors/invalid_recipient"),  # not a provider id
        ("966550000000@s.whatsapp.net", "errors/invalid_recipient"),  # not on WhatsApp
    ],
)
async def test_invalid_whatsapp_recipient(sim: Sim, attendee: str, error_type: str) -> None:
    account_id = await connected_whatsapp(sim)
    with pytest.raises(UnipileInvalidRecipient) as caught:
        await sim.client.start_chat(account_id, [attendee], "hi")
    assert caught.value.status == 422
    assert caught.value.type == error_type
    assert await sim.control.sent([account_id]) == []


async def test_unreachable_instagram_user(sim: Sim) -> None:
    account_id = await connected_instagram(sim)
    bob = await sim.client.get_user(account_id, "unreachable_bob")
    assert bob.chat_attendee_id is not None
    with pytest.raises(UnipileInvalidRecipient) as caught:
        await sim.client.start_chat(account_id, [bob.chat_attendee_id], "hi")
    assert caught.value.type == "errors/user_unreachable"


async def test_too_many_characters(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    with pytest.raises(UnipileBadRequest) as caught:
        await sim.client.start_chat(account_id, [whatsapp_provider_id(BOB)], "x" * 4097)
    assert caught.value.type == "errors/too_many_characters"
    assert caught.value.status == 400
    started = await sim.client.start_chat(account_id, [whatsapp_provider_id(BOB)], "x" * 4096)
    assert started.message_id is not None


async def test_disconnected_account_cannot_send(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    await sim.control.set_status(account_id, "CREDENTIALS")
    with pytest.raises(UnipileAccountDisconnected) as caught:
        await sim.client.start_chat(account_id, [whatsapp_provider_id(BOB)], "hi")
    assert caught.value.type == "errors/disconnected_account"


async def test_limit_out_of_range(sim: Sim) -> None:
    with pytest.raises(UnipileBadRequest) as caught:
        await sim.client.list_accounts(limit=251)
    assert caught.value.type == "errors/invalid_parameters"
    with pytest.raises(UnipilePermanentError):
        await sim.client.list_chats("any", limit=0)


async def test_webhook_crud(sim: Sim) -> None:
    account_id = await connected_instagram(sim)
    created = await sim.client.create_webhook(
        "http://127.0.0.1:9/hook",
        "messaging",
        name="skylight",
        headers={"Unipile-Auth": "s3cret"},
        events=["message_received", "message_read"],
        account_ids=[account_id],
    )
    hooks = await sim.client.list_webhooks()
    assert [h.id for h in hooks.items] == [created.webhook_id]
    hook = hooks.items[0]
    assert hook.headers[0].key == "Unipile-Auth"
    assert hook.events == ["message_received", "message_read"]
    assert hook.account_ids[0].id == account_id
    assert hook.account_ids[0].type == "MOBILE"  # SDK rejects INSTAGRAM in this list
    deleted = await sim.client.delete_webhook(created.webhook_id)
    assert deleted.object == "WebhookDeleted"
    assert (await sim.client.list_webhooks()).items == []


async def test_shared_http_client_is_not_closed(sim: Sim) -> None:
    async with httpx.AsyncClient() as http:
        async with UnipileClient(sim.url, API_KEY, http=http) as client:
            await client.list_accounts()
        assert not http.is_closed
