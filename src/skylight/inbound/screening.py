"""What Unipile sends is screened before anything stores it. A webhook we answer with an error
is retried by Unipile for hours, so input we can never store is not an error: NUL characters
(PostgreSQL cannot store them) are removed, and a payload whose ids are longer than any
Unipile id (and than our columns) is acknowledged, logged and ignored."""

from __future__ import annotations

from typing import Any

from skylight.integrations.unipile.schemas import (
    AccountStatusWebhookPayload,
    MessagingWebhookPayload,
)

# The column sizes these are stored in; Unipile's own ids are a few dozen characters.
MAX_ID = 128
MAX_PROVIDER_ID = 255
MAX_EVENT = 64


def without_nul(data: Any) -> Any:
    """The JSON value with NUL removed from every string, keys included."""
    if isinstance(data, str):
        return data.replace("\0", "")
    if isinstance(data, dict):
        return {without_nul(k): without_nul(v) for k, v in data.items()}
    if isinstance(data, list):
        return [without_nul(v) for v in data]
    return data


def too_long(payload: MessagingWebhookPayload | AccountStatusWebhookPayload) -> str | None:
    """The first field too long to store, as `name (length)`, or None."""
    if isinstance(payload, AccountStatusWebhookPayload):
        fields = {"AccountStatus.account_id": (payload.account_status.account_id, MAX_ID)}
    else:
        fields = {
            "account_id": (payload.account_id, MAX_ID),
            "chat_id": (payload.chat_id, MAX_ID),
            "message_id": (payload.message_id, MAX_ID),
            "event": (payload.event, MAX_EVENT),
        }
        if payload.sender is not None:  # read and reaction events may have none
            fields["sender.attendee_provider_id"] = (
                payload.sender.attendee_provider_id,
                MAX_PROVIDER_ID,
            )
        for n, attendee in enumerate(payload.attendees):
            fields[f"attendees.{n}.attendee_provider_id"] = (
                attendee.attendee_provider_id,
                MAX_PROVIDER_ID,
            )
    return next(
        (
            f"{name} ({len(value)} characters)"
            for name, (value, limit) in fields.items()
            if len(value) > limit
        ),
        None,
    )
