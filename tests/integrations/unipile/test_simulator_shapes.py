"""Raw HTTP shapes of the simulator, field by field against the Unipile v1 reference."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.integrations.unipile.conftest import API_KEY, Sim, connected_whatsapp

MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UNIPILE_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
BASE64 = re.compile(r"^[A-Za-z0-9+/=]+$")
SOURCE_STATUSES = {"OK", "CONNECTING", "CREDENTIALS", "PERMISSIONS", "STOPPED", "ERROR"}
MESSAGE_FLAGS = ("is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered")
BOB = "966551234567@s.whatsapp.net"


@pytest.fixture
async def api(sim: Sim) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"X-API-KEY": API_KEY, "accept": "application/json"}
    async with httpx.AsyncClient(base_url=f"{sim.url}/api/v1", headers=headers) as http:
        yield http


def body_of(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def assert_flag(value: Any) -> None:
    assert type(value) is int  # never a JSON boolean
    assert value in (0, 1)


def assert_cursor(value: Any) -> dict[str, Any]:
    assert isinstance(value, str)
    assert BASE64.match(value)
    assert len(value) % 4 == 0
    decoded: dict[str, Any] = json.loads(base64.b64decode(value))
    assert isinstance(decoded["limit"], int)
    assert UNIPILE_ID.match(decoded["cursor"]["last_id"])
    assert MS_UTC.match(decoded["cursor"]["last_date"])
    return decoded


async def test_account_shape(sim: Sim, api: httpx.AsyncClient) -> None:
    checkpoint = body_of(await api.post("/accounts", json={"provider": "WHATSAPP"}), 202)
    assert set(checkpoint) == {"object", "account_id", "checkpoint"}
    assert checkpoint["object"] == "Checkpoint"
    assert UNIPILE_ID.match(checkpoint["account_id"])
    assert checkpoint["checkpoint"]["type"] == "QRCODE"
    await sim.control.scan(checkpoint["account_id"], "+966501234567")
    account = body_of(await api.get(f"/accounts/{checkpoint['account_id']}"), 200)
    assert account["object"] == "Account"
    assert account["type"] == "WHATSAPP"
    assert account["id"] == checkpoint["account_id"]
    assert account["name"] == "+966501234567"
    assert MS_UTC.match(account["created_at"])
    assert account["connection_params"] == {"im": {"phone_number": "+966501234567"}}
    assert account["groups"] == []
    assert len(account["sources"]) == 1
    assert set(account["sources"][0]) == {"id", "status"}
    assert account["sources"][0]["status"] in SOURCE_STATUSES


async def test_instagram_codes(api: httpx.AsyncClient) -> None:
    body = {"provider": "INSTAGRAM", "username": "shop", "password": "pw"}
    created = body_of(await api.post("/accounts", json=body), 201)
    assert created == {"object": "AccountCreated", "account_id": created["account_id"]}
    body["username"] = "2fa_shop"
    checkpoint = body_of(await api.post("/accounts", json=body), 202)
    assert checkpoint["checkpoint"] == {"type": "OTP"}


async def test_account_list_cursor(sim: Sim, api: httpx.AsyncClient) -> None:
    empty = body_of(await api.get("/accounts"), 200)
    assert empty == {"object": "AccountList", "items": [], "cursor": None}
    for _ in range(3):
        await connected_whatsapp(sim)
    first = body_of(await api.get("/accounts", params={"limit": 2}), 200)
    decoded = assert_cursor(first["cursor"])
    assert decoded["limit"] == 2
    assert decoded["cursor"]["last_id"] == first["items"][-1]["id"]
    second = body_of(await api.get("/accounts", params={"cursor": first["cursor"]}), 200)
    assert second["cursor"] is None
    ids = [a["id"] for a in first["items"] + second["items"]]
    assert len(set(ids)) == 3


async def test_start_chat_multipart_and_message_shape(sim: Sim, api: httpx.AsyncClient) -> None:
    account_id = await connected_whatsapp(sim)
    form = [("account_id", (None, account_id)), ("attendees_ids", (None, BOB))]
    started = body_of(await api.post("/chats", files=[*form, ("text", (None, "hi"))]), 201)
    assert set(started) == {"object", "chat_id", "message_id"}
    assert started["object"] == "ChatStarted"
    sent = body_of(
        await api.post(f"/chats/{started['chat_id']}/messages", files=[("text", (None, "2"))]),
        201,
    )
    assert set(sent) == {"object", "message_id"}
    assert sent["object"] == "MessageSent"

    message = body_of(await api.get(f"/messages/{sent['message_id']}"), 200)
    required = {
        "object", "id", "account_id", "chat_id", "chat_provider_id", "provider_id", "sender_id",
        "sender_attendee_id", "text", "attachments", "timestamp", "is_sender", "reactions",
        "seen", "seen_by", "hidden", "deleted", "edited", "is_event", "delivered", "behavior",
        "original",
    }  # fmt: skip
    assert required <= set(message)
    assert message["object"] == "Message"
    assert message["chat_provider_id"] == BOB
    assert message["sender_id"] == "966501234567@s.whatsapp.net"
    for flag in MESSAGE_FLAGS:
        assert_flag(message[flag])
    assert message["is_sender"] == 1
    assert isinstance(message["original"], str)
    assert message["seen_by"] == {}
    assert message["reactions"] == []
    assert message["attachments"] == []
    assert message["behavior"] is None
    assert MS_UTC.match(message["timestamp"])


async def test_chat_shape_and_last_message(sim: Sim, api: httpx.AsyncClient) -> None:
    account_id = await connected_whatsapp(sim)
    form = [("account_id", (None, account_id)), ("attendees_ids", (None, BOB))]
    started = body_of(await api.post("/chats", files=form), 201)  # no text: no message
    assert started["message_id"] is None
    chat = body_of(await api.get(f"/chats/{started['chat_id']}"), 200)
    assert chat["lastMessage"] is None
    assert chat["object"] == "Chat"
    assert chat["account_type"] == "WHATSAPP"
    assert chat["provider_id"] == BOB
    assert chat["attendee_provider_id"] == BOB
    assert chat["type"] == 0
    assert chat["unread_count"] == 0
    assert chat["muted_until"] is None
    assert_flag(chat["archived"])
    assert chat["read_only"] in (0, 1, 2)
    assert MS_UTC.match(chat["timestamp"])
    chats = body_of(await api.get("/chats", params={"account_id": account_id}), 200)
    assert chats["object"] == "ChatList"
    assert "cursor" in chats
    assert "lastMessage" not in chats["items"][0]
    attendees = body_of(await api.get(f"/chats/{started['chat_id']}/attendees"), 200)
    assert attendees["object"] == "ChatAttendeeList"
    for attendee in attendees["items"]:
        assert attendee["object"] == "ChatAttendee"
        assert_flag(attendee["is_self"])


async def test_message_pages(sim: Sim, api: httpx.AsyncClient) -> None:
    account_id = await connected_whatsapp(sim)
    for i in range(5):
        await sim.control.inbound(account_id, "+966551234567", f"m{i}")
    seen: list[str] = []
    params: dict[str, Any] = {"account_id": account_id, "limit": 2}
    while True:
        page = body_of(await api.get("/messages", params=params), 200)
        assert page["object"] == "MessageList"
        seen += [m["text"] for m in page["items"]]
        if page["cursor"] is None:
            break
        assert assert_cursor(page["cursor"])["account_id"] == account_id
        params = {"cursor": page["cursor"]}
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


@pytest.mark.parametrize(
    ("headers", "error_type"),
    # Our key, missing or wrong: missing_credentials (invalid_credentials is a wrong password).
    [({}, "errors/missing_credentials"), ({"X-API-KEY": "nope"}, "errors/missing_credentials")],
)
async def test_auth_errors(sim: Sim, headers: dict[str, str], error_type: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{sim.url}/api/v1/accounts", headers=headers)
        control = await http.get(f"{sim.url}/_sandbox/faults", headers=headers)
    error = body_of(response, 401)
    assert error == {
        "status": 401,
        "type": error_type,
        "title": "Unauthorized",
        "detail": error["detail"],
        "instance": "/api/v1/accounts",
    }
    assert control.status_code == 401


async def test_error_body_shape(api: httpx.AsyncClient) -> None:
    error = body_of(await api.get("/accounts/missing"), 404)
    assert error == {
        "status": 404,
        "type": "errors/resource_not_found",
        "title": "Not Found",
        "detail": "Account not found",
        "instance": "/api/v1/accounts/missing",
    }
    unknown_route = body_of(await api.get("/nothing/here"), 404)
    assert set(unknown_route) == {"status", "type", "title", "detail", "instance"}
    bad = body_of(await api.post("/webhooks", json={"source": "messaging"}), 400)
    assert bad["type"] == "errors/missing_parameters"
    bad_cursor = body_of(await api.get("/chats", params={"cursor": "abc"}), 400)
    assert bad_cursor["type"] == "errors/invalid_parameters"


async def test_webhook_shapes(sim: Sim, api: httpx.AsyncClient) -> None:
    body = {
        "request_url": "http://127.0.0.1:9/hook",
        "source": "account_status",
        "name": "status",
        "headers": [{"key": "Unipile-Auth", "value": "s"}],
    }
    created = body_of(await api.post("/webhooks", json=body), 201)
    assert set(created) == {"object", "webhook_id"}
    listed = body_of(await api.get("/webhooks"), 200)
    assert listed["object"] == "WebhookList"
    assert listed["cursor"] is None
    hook = listed["items"][0]
    assert hook["object"] == "Webhook"
    assert hook["type"] in ("AUTO", "TRIGGER")
    assert hook["account_ids"] == []
    assert hook["enabled"] is True
    assert hook["format"] == "json"
    assert hook["headers"] == [{"key": "Unipile-Auth", "value": "s"}]
    assert hook["data"] == []
    deleted = body_of(await api.delete(f"/webhooks/{created['webhook_id']}"), 200)
    assert deleted == {"object": "WebhookDeleted"}
