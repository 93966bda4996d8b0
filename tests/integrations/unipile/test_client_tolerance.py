"""What the client accepts from Unipile: only the fields it uses are required, an unreadable list
item is skipped (and logged), an unknown status is kept; slow logins get their own timeout;
Unipile's error types become classes a caller can branch on."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from skylight.integrations.unipile import UnipileClient
from skylight.integrations.unipile.errors import (
    UnipileApiKeyRejected,
    UnipileAuthenticationExpired,
    UnipileAuthenticationInProgress,
    UnipileCaptchaRequired,
    UnipileError,
    UnipileInvalidCredentials,
    UnipileTimeout,
)
from skylight.integrations.unipile.schemas import (
    Account,
    ChatList,
    Message,
    MessagingWebhookPayload,
)
from tests.integrations.unipile.conftest import API_KEY
from tests.integrations.unipile.harness import ScriptedUpstream, WebhookReceiver, serve

JSON = {"content-type": "application/json"}


def answer(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, JSON, json.dumps(body).encode()


async def test_an_unreadable_chat_is_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    good = {"object": "Chat", "id": "c1", "account_id": "a", "timestamp": None}
    page = {"object": "ChatList", "items": [good, {"object": "Chat", "name": 3}], "cursor": None}
    async with serve(ScriptedUpstream([answer(200, page)])) as url:
        client = UnipileClient(url, API_KEY, max_retries=0)
        try:
            with caplog.at_level(logging.WARNING, logger="skylight.unipile"):
                chats = await client.list_chats("a")
        finally:
            await client.aclose()
    assert [chat.id for chat in chats.items] == ["c1"]
    assert "skipped an unreadable Unipile Chat" in caplog.text


def test_only_the_fields_we_use_are_required() -> None:
    message = Message.model_validate({"id": "m1", "timestamp": "2025-01-15T10:30:00.000Z"})
    assert (message.is_sender, message.seen, message.delivered, message.text) == (0, 0, 0, None)
    # Booleans where Unipile documents 0/1 are read for what they mean; new fields are kept.
    lax = Message.model_validate(
        {"id": "m2", "timestamp": "2025-01-15T10:30:00Z", "is_sender": True, "new_field": 1}
    )
    assert lax.is_sender == 1
    assert lax.model_extra == {"new_field": 1}
    assert ChatList.model_validate({"items": []}).cursor is None


def test_an_unknown_status_is_kept() -> None:
    account = Account.model_validate(
        {"type": "WHATSAPP", "id": "a1", "sources": [{"id": "s", "status": "SUSPENDED"}]}
    )
    assert account.status == "SUSPENDED"


def test_direction_is_sender_decides_account_info_is_the_fallback() -> None:
    base: dict[str, Any] = {
        "account_id": "a",
        "event": "message_received",
        "chat_id": "c",
        "timestamp": "2025-01-15T10:30:00.000Z",
        "message_id": "m",
        "sender": {"attendee_id": "x", "attendee_provider_id": "me@s.whatsapp.net"},
    }
    # Live payloads: is_sender, often without account_info.
    assert MessagingWebhookPayload.model_validate({**base, "is_sender": True}).is_from_account
    info = {"type": "WHATSAPP", "user_id": "me@s.whatsapp.net"}
    # is_sender wins over a sender that looks like the account...
    contradicted = {**base, "is_sender": False, "account_info": info}
    assert not MessagingWebhookPayload.model_validate(contradicted).is_from_account
    # ...and only without it is the sender compared with account_info.
    assert MessagingWebhookPayload.model_validate({**base, "account_info": info}).is_from_account
    assert not MessagingWebhookPayload.model_validate(base).is_from_account
    # A read receipt may carry no sender block at all.
    read = {k: v for k, v in base.items() if k != "sender"} | {"event": "message_read"}
    assert MessagingWebhookPayload.model_validate(read).sender is None


class SlowUpstream:
    """Answers every request after ``seconds``."""

    def __init__(self, seconds: float, status: int, body: Any) -> None:
        self.seconds, self.status, self.body = seconds, status, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await WebhookReceiver()(scope, receive, send)
            return
        await asyncio.sleep(self.seconds)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(self.body).encode()})


async def test_logins_get_the_longer_timeout() -> None:
    created = {"object": "AccountCreated", "account_id": "a1"}
    async with (
        serve(SlowUpstream(0.4, 201, created)) as url,
        UnipileClient(url, API_KEY, timeout=0.1, auth_timeout=2.0, max_retries=0) as client,
    ):
        result = await client.connect_account("INSTAGRAM", username="u", password="p")
        assert result.account_id == "a1"
        with pytest.raises(UnipileTimeout):
            await client.get_account("a1")


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (401, "errors/invalid_credentials", UnipileInvalidCredentials),
        (401, "errors/missing_credentials", UnipileApiKeyRejected),
        (401, "errors/captcha_not_supported", UnipileCaptchaRequired),
        (500, "errors/authentication_intent_error", UnipileAuthenticationExpired),
        (425, "errors/authentication_in_progress", UnipileAuthenticationInProgress),
    ],
)
async def test_instagram_errors_are_told_apart(
    status: int, error_type: str, expected: type[UnipileError]
) -> None:
    body = {"status": status, "type": error_type, "title": "t"}
    async with serve(ScriptedUpstream([answer(status, body)])) as url:
        client = UnipileClient(url, API_KEY, max_retries=0)
        try:
            with pytest.raises(expected):
                await client.connect_account("INSTAGRAM", username="u", password="p")
        finally:
            await client.aclose()
