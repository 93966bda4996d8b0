"""Unipile account objects: connect, checkpoints, lists, lifecycle answers, user profiles.

Only the fields SkyLight reads are required; see base_schema for the tolerance rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from skylight.integrations.unipile.base_schema import UnipileModel, skip_unreadable

# The six source statuses Unipile documents. Others may appear one day: they are kept as they
# come (a str) and shown as ERROR by our API (channels.state).
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
    id: str = ""
    status: str


class ConnectionParams(UnipileModel):
    # WhatsApp: {phone_number}; Telegram: {user_id, username}; Instagram: {id, username}.
    im: dict[str, Any] | None = None


class Account(UnipileModel):
    object: Literal["Account"] = "Account"
    type: str
    id: str
    name: str = ""
    created_at: datetime | None = None
    connection_params: ConnectionParams = Field(default_factory=ConnectionParams)
    groups: list[str] = Field(default_factory=list)
    sources: list[AccountSource] = Field(default_factory=list)

    @property
    def status(self) -> str | None:
        """The messaging source's status (WA/TG/IG accounts have a single source)."""
        return self.sources[0].status if self.sources else None


class AccountList(UnipileModel):
    object: Literal["AccountList"] = "AccountList"
    items: Annotated[list[Account], skip_unreadable(Account)]
    cursor: str | None = None


class AccountCreated(UnipileModel):
    object: Literal["AccountCreated"]
    account_id: str


class AccountReconnected(UnipileModel):
    object: Literal["AccountReconnected"]
    account_id: str


class CheckpointDetail(UnipileModel):
    # A str, not CheckpointType: a new kind of checkpoint must not make the answer unreadable.
    type: str
    qrcode: str | None = None
    source: str | None = None
    public_key: str | None = None
    data: str | None = None
    contract_options: list[dict[str, Any]] | None = None


class Checkpoint(UnipileModel):
    object: Literal["Checkpoint"]
    account_id: str
    checkpoint: CheckpointDetail


class CheckpointResent(UnipileModel):
    """Any 2xx object: Unipile documents no shape for a resend (``CheckpointResend`` seen)."""

    object: str | None = None


class AccountDeleted(UnipileModel):
    object: Literal["AccountDeleted"] = "AccountDeleted"


class AccountRestarted(UnipileModel):
    object: Literal["AccountRestarted"] = "AccountRestarted"
    account_id: str | None = None


class UserProfile(UnipileModel):
    """``GET /users/{identifier}``: who a username or phone is on the account's network."""

    object: Literal["UserProfile"] = "UserProfile"
    provider: str
    provider_id: str | None = None
    # Instagram: what a new chat is addressed to (differs from provider_id).
    provider_messaging_id: str | None = None
    pk: int | str | None = None  # Instagram, in the SDK 1.9.3 schema
    id: str | None = None  # WhatsApp
    username: str | None = None
    public_identifier: str | None = None

    @property
    def chat_attendee_id(self) -> str | None:
        """The internal id a new chat takes in ``attendees_ids``."""
        if self.provider == "INSTAGRAM":
            pk = str(self.pk) if self.pk is not None else None
            return self.provider_messaging_id or self.provider_id or pk
        if self.provider == "WHATSAPP":
            return self.id or self.provider_id
        return self.provider_id
