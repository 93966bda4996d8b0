"""Unipile webhooks: management objects and the payloads Unipile POSTs to us."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from skylight.integrations.unipile.base_schema import UnipileModel, skip_unreadable

WebhookSource = Literal["messaging", "account_status", "email", "email_tracking"]


class WebhookHeader(UnipileModel):
    key: str
    value: str


class WebhookAccountRef(UnipileModel):
    id: str
    name: str | None = None
    type: str | None = None


class Webhook(UnipileModel):
    object: Literal["Webhook"] = "Webhook"
    id: str
    type: str | None = None  # AUTO | TRIGGER
    account_ids: list[WebhookAccountRef] = Field(default_factory=list)
    enabled: bool = True
    name: str | None = None
    request_url: str
    format: str | None = None
    headers: list[WebhookHeader] = Field(default_factory=list)
    events: list[str] | None = None
    source: str | None = None  # not in the SDK schema; read it defensively


class WebhookList(UnipileModel):
    object: Literal["WebhookList"] = "WebhookList"
    items: Annotated[list[Webhook], skip_unreadable(Webhook)]
    cursor: str | None = None


class WebhookCreated(UnipileModel):
    object: Literal["WebhookCreated"]
    webhook_id: str


class WebhookDeleted(UnipileModel):
    object: Literal["WebhookDeleted"]


class WebhookAttendee(UnipileModel):
    attendee_id: str
    attendee_name: str | None = None
    attendee_provider_id: str
    attendee_profile_url: str | None = None


class WebhookAccountInfo(UnipileModel):
    type: str
    feature: str | None = None
    user_id: str | None = None


class MessagingWebhookPayload(UnipileModel):
    """Body of a ``messaging`` webhook (message_received, message_read, message_reaction).

    Live payloads carry ``is_sender`` and often no ``account_info``; read and reaction events
    may have no ``sender`` block (or another one)."""

    account_id: str
    account_type: str | None = None
    account_info: WebhookAccountInfo | None = None
    event: str
    chat_id: str
    timestamp: datetime
    webhook_name: str | None = None
    message_id: str
    message: str | None = None
    is_sender: bool | None = None
    sender: WebhookAttendee | None = None
    attendees: list[WebhookAttendee] = Field(default_factory=list)
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    reaction: str | None = None
    reaction_sender: WebhookAttendee | None = None

    @field_validator("attachments", mode="before")
    @classmethod
    def _single_attachment(cls, value: Any) -> Any:
        # Unipile's doc example shows one object where deliveries carry a list.
        if value is None:
            return []
        return [value] if isinstance(value, Mapping) else value

    @field_validator("is_sender", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return bool(value) if isinstance(value, int) else value  # 0/1 read as a boolean

    @property
    def is_from_account(self) -> bool:
        """True when the connected account itself wrote it (from the API or the phone):
        ``is_sender`` decides; without it, the sender is compared with ``account_info``."""
        if self.is_sender is not None:
            return self.is_sender
        if self.account_info is None or self.account_info.user_id is None:
            return False
        return self.sender is not None and (
            self.sender.attendee_provider_id == self.account_info.user_id
        )


class AccountStatusEvent(UnipileModel):
    account_id: str
    account_type: str
    message: str  # a source status, or CREATION_SUCCESS / SYNC_SUCCESS / RECONNECTED / DELETED


class AccountStatusWebhookPayload(UnipileModel):
    """Body of an ``account_status`` webhook: ``{"AccountStatus": {...}}``."""

    account_status: AccountStatusEvent = Field(alias="AccountStatus")


def parse_webhook_payload(
    data: Mapping[str, Any],
) -> MessagingWebhookPayload | AccountStatusWebhookPayload:
    """Tell the two payload kinds apart; raises pydantic.ValidationError on anything else."""
    if "AccountStatus" in data:
        return AccountStatusWebhookPayload.model_validate(data)
    return MessagingWebhookPayload.model_validate(data)
