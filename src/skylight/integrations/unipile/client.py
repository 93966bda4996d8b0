"""Typed async client for the Unipile v1 messaging API (WhatsApp, Telegram, Instagram)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Self
from urllib.parse import quote

import httpx

from skylight.integrations.unipile.attachments import Upload, multipart
from skylight.integrations.unipile.pagination import iterate_pages
from skylight.integrations.unipile.schemas import (
    Account,
    AccountCreated,
    AccountDeleted,
    AccountList,
    AccountReconnected,
    AccountRestarted,
    Chat,
    ChatAttendeeList,
    ChatList,
    ChatStarted,
    Checkpoint,
    CheckpointResent,
    Message,
    MessageList,
    MessageSent,
    UserProfile,
    WebhookCreated,
    WebhookDeleted,
    WebhookList,
)
from skylight.integrations.unipile.transport import RetryPolicy, Transport
from skylight.integrations.unipile.wire import (
    Timestamp,
    drop_none,
    one_of,
    page_params,
    validate,
)
from skylight.kit.dsn import normalize_dsn
from skylight.kit.tls import client_tls

# One attempt at downloading an attachment (files are larger than JSON answers).
DOWNLOAD_SECONDS = 60.0


class UnipileClient:
    """One shared ``httpx.AsyncClient``; use ``async with`` or call ``aclose()``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        auth_timeout: float = 90.0,
        max_retries: int = 3,
        backoff_base: float = 0.2,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("a Unipile API key is required")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            verify=client_tls(),
            # Kept alive, all of them: under load a closed one is a new TCP (and TLS) handshake.
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=50),
        )
        policy = RetryPolicy(max_retries=max_retries, backoff_base=backoff_base)
        # Logging in to a provider (connect, reconnect, solving a checkpoint) can take tens of
        # seconds at Unipile: those calls get ``auth_timeout`` instead of ``timeout``.
        self._auth_timeout = auth_timeout
        self._t = Transport(
            self._http, normalize_dsn(base_url), api_key, timeout=timeout, policy=policy
        )

    def __repr__(self) -> str:
        return f"UnipileClient({self._t!r})"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # Accounts

    async def connect_account(
        self,
        provider: str,
        *,
        username: str | None = None,
        password: str | None = None,
        country: str | None = None,
    ) -> AccountCreated | Checkpoint:
        body = drop_none(
            {"provider": provider, "username": username, "password": password, "country": country}
        )
        data = await self._t.request(
            "POST",
            "/accounts",
            json_body=body,
            secrets=[password or ""],
            attempt_seconds=self._auth_timeout,
        )
        result: AccountCreated | Checkpoint = one_of(data, AccountCreated, Checkpoint)
        return result

    async def solve_checkpoint(
        self, account_id: str, provider: str, code: str
    ) -> AccountCreated | AccountReconnected | Checkpoint:
        body = {"account_id": account_id, "provider": provider, "code": code}
        data = await self._t.request(
            "POST", "/accounts/checkpoint", json_body=body, attempt_seconds=self._auth_timeout
        )
        result: AccountCreated | AccountReconnected | Checkpoint = one_of(
            data, AccountCreated, AccountReconnected, Checkpoint
        )
        return result

    async def resend_checkpoint(self, account_id: str, provider: str) -> CheckpointResent:
        """Unipile documents no answer for a resend: any 2xx JSON object is a success."""
        body = {"account_id": account_id, "provider": provider}
        data = await self._t.request("POST", "/accounts/checkpoint/resend", json_body=body)
        return validate(CheckpointResent, data)

    async def get_account(self, account_id: str) -> Account:
        return validate(Account, await self._t.request("GET", f"/accounts/{account_id}"))

    async def list_accounts(
        self, cursor: str | None = None, limit: int | None = None
    ) -> AccountList:
        params = {"cursor": cursor, "limit": limit}
        return validate(AccountList, await self._t.request("GET", "/accounts", params=params))

    async def delete_account(self, account_id: str) -> AccountDeleted:
        data = await self._t.request("DELETE", f"/accounts/{account_id}")
        return validate(AccountDeleted, data)

    async def reconnect_account(
        self, account_id: str, provider: str, **credentials: str
    ) -> AccountReconnected | Checkpoint:
        """Keeps the account id, its chats and webhooks (deleting and connecting again would
        lose them). WhatsApp/Telegram answer with a new QR code checkpoint."""
        body = {"provider": provider, "account_id": account_id, **credentials}
        data = await self._t.request(
            "POST",
            f"/accounts/{account_id}",
            json_body=body,
            secrets=[credentials.get("password", "")],
            attempt_seconds=self._auth_timeout,
        )
        result: AccountReconnected | Checkpoint = one_of(data, AccountReconnected, Checkpoint)
        return result

    async def restart_account(self, account_id: str) -> AccountRestarted:
        data = await self._t.request("POST", f"/accounts/{account_id}/restart")
        return validate(AccountRestarted, data)

    # Users

    async def get_user(self, account_id: str, identifier: str) -> UserProfile:
        """A username, phone or provider id on the account's network; UnipileNotFound when
        there is no such user. ``chat_attendee_id`` is what a new chat is addressed to."""
        path = f"/users/{quote(identifier, safe='')}"
        data = await self._t.request("GET", path, params={"account_id": account_id})
        return validate(UserProfile, data)

    # Messaging

    async def start_chat(
        self,
        account_id: str,
        attendees_ids: list[str],
        text: str | None,
        attachments: Sequence[Upload] = (),
    ) -> ChatStarted:
        fields = [("account_id", account_id), *(("attendees_ids", a) for a in attendees_ids)]
        if text is not None:
            fields.append(("text", text))
        data = await self._t.request("POST", "/chats", form=multipart(fields, attachments))
        return validate(ChatStarted, data)

    async def send_message(
        self, chat_id: str, text: str | None, attachments: Sequence[Upload] = ()
    ) -> MessageSent:
        fields = [("text", text)] if text is not None else []
        data = await self._t.request(
            "POST", f"/chats/{chat_id}/messages", form=multipart(fields, attachments)
        )
        return validate(MessageSent, data)

    async def download_attachment(
        self, message_id: str, attachment_id: str, *, max_bytes: int, retries: int | None = None
    ) -> bytes:
        """The attachment's bytes; UnipileNotFound when Unipile no longer has it, and
        UnipileProtocolError when it is larger than `max_bytes` (read no further). A file
        takes longer than a JSON answer: one attempt may last `DOWNLOAD_SECONDS`. `retries`:
        the client's retries of a failed attempt unless given (a job retrying on its own
        schedule asks for none)."""
        path = f"/messages/{quote(message_id, safe='')}/attachments/{quote(attachment_id, safe='')}"
        data: bytes = await self._t.request(
            "GET",
            path,
            max_bytes=max_bytes,
            attempt_seconds=DOWNLOAD_SECONDS,
            retries=retries,
        )
        return data

    async def list_chats(
        self,
        account_id: str,
        cursor: str | None = None,
        limit: int | None = None,
        after: Timestamp = None,
        before: Timestamp = None,
    ) -> ChatList:
        params = page_params(cursor, limit, after, before, account_id=account_id)
        return validate(ChatList, await self._t.request("GET", "/chats", params=params))

    async def get_chat(self, chat_id: str) -> Chat:
        return validate(Chat, await self._t.request("GET", f"/chats/{chat_id}"))

    async def list_chat_messages(
        self,
        chat_id: str,
        cursor: str | None = None,
        limit: int | None = None,
        after: Timestamp = None,
        before: Timestamp = None,
    ) -> MessageList:
        params = page_params(cursor, limit, after, before)
        data = await self._t.request("GET", f"/chats/{chat_id}/messages", params=params)
        return validate(MessageList, data)

    async def list_messages(
        self,
        account_id: str,
        cursor: str | None = None,
        limit: int | None = None,
        after: Timestamp = None,
        before: Timestamp = None,
    ) -> MessageList:
        params = page_params(cursor, limit, after, before, account_id=account_id)
        return validate(MessageList, await self._t.request("GET", "/messages", params=params))

    async def get_message(self, message_id: str) -> Message:
        return validate(Message, await self._t.request("GET", f"/messages/{message_id}"))

    async def list_chat_attendees(self, chat_id: str) -> ChatAttendeeList:
        data = await self._t.request("GET", f"/chats/{chat_id}/attendees")
        return validate(ChatAttendeeList, data)

    # Webhooks

    async def create_webhook(
        self,
        request_url: str,
        source: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        events: list[str] | None = None,
        account_ids: list[str] | None = None,
    ) -> WebhookCreated:
        body = drop_none(
            {
                "request_url": request_url,
                "source": source,
                "name": name,
                "format": "json",
                "headers": [{"key": k, "value": v} for k, v in (headers or {}).items()],
                "events": events,
                "account_ids": account_ids,
            }
        )
        # Header values are shared secrets: keep them out of any error text.
        secrets = list((headers or {}).values())
        data = await self._t.request("POST", "/webhooks", json_body=body, secrets=secrets)
        return validate(WebhookCreated, data)

    async def list_webhooks(
        self, cursor: str | None = None, limit: int | None = None
    ) -> WebhookList:
        params = {"cursor": cursor, "limit": limit}
        return validate(WebhookList, await self._t.request("GET", "/webhooks", params=params))

    async def delete_webhook(self, webhook_id: str) -> WebhookDeleted:
        data = await self._t.request("DELETE", f"/webhooks/{webhook_id}")
        return validate(WebhookDeleted, data)

    # Walking every page

    def iter_accounts(self, page_size: int = 100) -> AsyncIterator[Account]:
        return iterate_pages(lambda c: self.list_accounts(cursor=c, limit=page_size))

    def iter_chats(
        self, account_id: str, page_size: int = 100, after: Timestamp = None
    ) -> AsyncIterator[Chat]:
        """Every chat, or only those with activity after ``after`` (exclusive)."""
        return iterate_pages(
            lambda c: self.list_chats(account_id, cursor=c, limit=page_size, after=after)
        )

    def iter_chat_messages(self, chat_id: str, page_size: int = 100) -> AsyncIterator[Message]:
        return iterate_pages(lambda c: self.list_chat_messages(chat_id, cursor=c, limit=page_size))
