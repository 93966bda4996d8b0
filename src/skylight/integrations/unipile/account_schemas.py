"""Unipile account objects: connect, checkpoints, lists, lifecycle answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from skylight.integrations.unipile.base_schema import UnipileModel

SourceStatus = Literal["OK", "CONNECTING", "CREDENTIALS", "PERMISSIONS", "STOPPED", "ERROR"]
SOURCE_STATUSES: tuple[SourceStatus, ...] = (
    "OK",
    "CONNECTING",
    "CREDENTIALS",
    "PERMISSIONS",
    "STOPPED",
    "ERROR",
)
CheckpointType = Literal[
    "QRCODE", "2FA", "OTP", "PHONE_REGISTER", "IN_APP_VALIDATION", "CAPTCHA", "CONTRACT_CHOOSER"
]


class AccountSource(UnipileModel):
    id: str
    status: SourceStatus


class ConnectionParams(UnipileModel):
    # WhatsApp: {phone_number}; Telegram: {user_id, username}; Instagram: {id, username}.
    im: dict[str, Any] | None = None


class Account(UnipileModel):
    object: Literal["Account"]
    type: str
    id: str
    name: str
    created_at: datetime
    connection_params: ConnectionParams = Field(default_factory=ConnectionParams)
    groups: list[str]
    sources: list[AccountSource]
    current_signature: str | None = None

    @property
    def status(self) -> SourceStatus | None:
        """The messaging source's status (WA/TG/IG accounts have a single source)."""
        return self.sources[0].status if self.sources else None


class AccountList(UnipileModel):
    object: Literal["AccountList"]
    items: list[Account]
    cursor: str | None


class AccountCreated(UnipileModel):
    object: Literal["AccountCreated"]
    account_id: str


class AccountReconnected(UnipileModel):
    object: Literal["AccountReconnected"]
    account_id: str


class CheckpointDetail(UnipileModel):
    type: CheckpointType
    qrcode: str | None = None
    source: Literal["SMS", "APP"] | None = None
    public_key: str | None = None
    data: str | None = None
    contract_options: list[dict[str, Any]] | None = None


class Checkpoint(UnipileModel):
    object: Literal["Checkpoint"]
    account_id: str
    checkpoint: CheckpointDetail


class AccountDeleted(UnipileModel):
    object: Literal["AccountDeleted"]


class AccountRestarted(UnipileModel):
    object: Literal["AccountRestarted"]
    account_id: str | None = None
