"""Typed async client for the simulator's ``/_sandbox`` control routes."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal, Self

import httpx
from pydantic import BaseModel, Field

from skylight.integrations.unipile.attachments import Upload
from skylight.integrations.unipile.errors import UnipileError
from skylight.integrations.unipile.schemas import Account, Message, SourceStatus
from skylight.integrations.unipile.simulator.config import Faults
from skylight.integrations.unipile.simulator.state import TENANT_HEADER
from skylight.integrations.unipile.transport import error_from_response
from skylight.kit.tls import client_tls

AccountStatusMessage = SourceStatus | Literal["CREATION_SUCCESS", "SYNC_SUCCESS", "RECONNECTED"]


class InboundResult(BaseModel):
    message_id: str
    chat_id: str
    attendee_id: str
    attendee_provider_id: str


class SentFile(BaseModel):
    id: str
    file_name: str
    mimetype: str
    size: int
    sha256: str


class SentMessage(BaseModel):
    account_id: str
    chat_id: str
    attendee_provider_id: str
    text: str | None
    message_id: str
    timestamp: str
    attachments: list[SentFile] = Field(default_factory=list)


class SentLog(BaseModel):
    items: list[SentMessage]


class SimulatorControl:
    """Errors come back as the Unipile client's exceptions (same body shape)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout), verify=client_tls())
        self._base = base_url.rstrip("/") + "/_sandbox"
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"SimulatorControl(base_url={self._base!r})"

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

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        tenant: str | None = None,
        files: Any = None,
    ) -> Any:
        headers = {"X-API-KEY": self._api_key, "accept": "application/json"}
        if tenant is not None:
            headers[TENANT_HEADER] = tenant
        try:
            response = await self._http.request(
                method, self._base + path, json=json, params=params, headers=headers, files=files
            )
        except httpx.HTTPError as exc:
            raise UnipileError(f"simulator {method} {path}: {type(exc).__name__}") from None
        if not response.is_success:
            raise error_from_response(response, method, path, [self._api_key])
        return response.json()

    async def scan(self, account_id: str, username: str | None = None) -> Account:
        """Complete a pending WhatsApp/Telegram QR login (username: WA phone or TG handle)."""
        body = {"username": username} if username else {}
        return Account.model_validate(
            await self._call("POST", f"/accounts/{account_id}/scan", json=body)
        )

    async def approve(self, account_id: str) -> Account:
        """Approve an Instagram login waiting on an IN_APP_VALIDATION checkpoint."""
        return Account.model_validate(await self._call("POST", f"/accounts/{account_id}/approve"))

    async def fail(self, account_id: str) -> Account:
        return Account.model_validate(await self._call("POST", f"/accounts/{account_id}/fail"))

    async def set_status(self, account_id: str, status: AccountStatusMessage) -> Account:
        data = await self._call("POST", f"/accounts/{account_id}/status", json={"status": status})
        return Account.model_validate(data)

    async def inbound(
        self,
        account_id: str,
        sender: str,
        text: str | None,
        *,
        name: str | None = None,
        from_me: bool = False,
        attachments: list[dict[str, Any]] | None = None,
        files: Sequence[Upload] = (),
    ) -> InboundResult:
        """``sender`` is a phone (WA), a username, phone or internal id (TG), a username or
        internal id (IG). ``attachments`` are metadata only (no bytes); ``files`` arrive as
        attachments with their bytes (uploaded to the simulator first)."""
        uploads = []
        for file in files:
            part = {"file": (file.filename, file.data, file.content_type)}
            uploads.append((await self._call("POST", "/uploads", files=part))["id"])
        body: dict[str, Any] = {"account_id": account_id, "from": sender, "from_me": from_me}
        if text is not None:
            body["text"] = text
        if uploads:
            body["uploads"] = uploads
        if name is not None:
            body["name"] = name
        if attachments:
            body["attachments"] = attachments
        return InboundResult.model_validate(await self._call("POST", "/inbound", json=body))

    async def receipt(self, message_id: str, event: Literal["delivered", "read"]) -> Message:
        data = await self._call("POST", f"/messages/{message_id}/receipt", json={"event": event})
        return Message.model_validate(data)

    async def react(self, message_id: str, reaction: str, *, from_me: bool = False) -> Message:
        body = {"reaction": reaction, "from_me": from_me}
        data = await self._call("POST", f"/messages/{message_id}/reaction", json=body)
        return Message.model_validate(data)

    async def sent(self, account_ids: list[str] | None = None) -> list[SentMessage]:
        """Messages accepted through the API, newest first."""
        params = [("account_id", a) for a in account_ids or []]
        return SentLog.model_validate(await self._call("GET", "/sent", params=params)).items

    async def deliveries(self) -> dict[str, int]:
        """Webhook deliveries by state; none "pending" means every webhook has been answered."""
        counts: dict[str, int] = await self._call("GET", "/deliveries")
        return counts

    async def set_faults(
        self, faults: Faults | None = None, *, tenant: str | None = None, **fields: Any
    ) -> Faults:
        """Replace the fault config (no arguments clears it): the tenant's own, or with no
        tenant the global one (calls of no tenant)."""
        body = (faults or Faults(**fields)).model_dump()
        return Faults.model_validate(await self._call("POST", "/faults", json=body, tenant=tenant))

    async def get_faults(self, *, tenant: str | None = None) -> Faults:
        return Faults.model_validate(await self._call("GET", "/faults", tenant=tenant))
