from __future__ import annotations

import json
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from skylight.events.types import EVENT_TYPES
from skylight.kit.params import reject_nul
from skylight.kit.time import ApiDateTime
from skylight.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _known_types(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(EVENT_TYPES) - {"*"})
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    return sorted(set(values))


Url = Annotated[str, StringConstraints(min_length=8, max_length=2048), AfterValidator(reject_nul)]
EventTypes = Annotated[list[str], Field(min_length=1, max_length=50), AfterValidator(_known_types)]
Description = Annotated[str, StringConstraints(max_length=255), AfterValidator(reject_nul)]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    event_types: EventTypes = Field(default=["*"], description='Event types, or ["*"] for all')
    description: Description | None = None


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = Field(default=None, description="true re-enables a disabled endpoint")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_hours: float | None = Field(
        default=None, ge=0, le=168, description="How long the old secret still signs (default 24)"
    )


class EndpointOut(BaseModel):
    id: int
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: ApiDateTime
    updated_at: ApiDateTime

    @classmethod
    def build(cls, endpoint: WebhookEndpoint) -> EndpointOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=json.loads(endpoint.event_types),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="Signing secret: shown only now; store it")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status_code: int | None
    response_body: str | None
    error: str | None
    duration_ms: int
    created_at: ApiDateTime


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    state: str
    attempts: int
    last_status_code: int | None
    next_attempt_at: ApiDateTime | None
    created_at: ApiDateTime
    attempt_log: list[AttemptOut]

    @classmethod
    def build(
        cls,
        delivery: WebhookDelivery,
        event_public_id: str,
        event_type: str,
        attempts: list[WebhookAttempt],
    ) -> DeliveryOut:
        return cls(
            id=delivery.id,
            event_id=event_public_id,
            event_type=event_type,
            state=delivery.state,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            attempt_log=[AttemptOut.model_validate(a) for a in attempts],
        )
