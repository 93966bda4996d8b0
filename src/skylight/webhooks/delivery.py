"""The `webhook.deliver` job: one signed POST per run, every attempt logged, retried on a
schedule of about three days; a delivery that exhausts it disables its endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.schemas import EventOut
from skylight.jobs.worker import RetryLater
from skylight.kit.db import Database, retrying
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from skylight.webhooks.models import DeliveryState, WebhookAttempt
from skylight.webhooks.repository import DeliveryRepository
from skylight.webhooks.sender import WebhookSender
from skylight.webhooks.service import disable_failing
from skylight.webhooks.signing import signature_headers

USER_AGENT = "SkyLightChat-Webhooks/1.0"


@dataclass(frozen=True)
class _Request:
    url: str
    body: bytes
    headers: dict[str, str]
    attempt: int


async def _prepare(db: Database, delivery_id: int) -> _Request | None:
    async with db.transaction() as session:
        loaded = await DeliveryRepository(session).load(delivery_id)
        if loaded is None:
            return None
        delivery, endpoint, event = loaded
        if delivery.state != DeliveryState.PENDING:
            return None
        if not endpoint.enabled:
            delivery.state = DeliveryState.FAILED
            return None
        body = EventOut.build(event).model_dump_json().encode()
        secrets = [endpoint.secret]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires and expires > utcnow():
            secrets.append(endpoint.previous_secret)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signature_headers(secrets, event.public_id, body),
            "SkyLight-Event-Id": event.public_id,
            "SkyLight-Event-Type": event.type,
            "SkyLight-Delivery-Id": str(delivery.id),
        }
        return _Request(endpoint.url, body, headers, delivery.attempts + 1)


# How long a known outcome is retried while the database is away, before it is given up (the
# job then runs again, and the receiver may see the event twice: deduplicate by its id).
RECORD_WITHIN_SECONDS = 30.0


async def deliver(
    db: Database, settings: Settings, sender: WebhookSender, payload: dict[str, Any]
) -> None:
    delivery_id = int(payload["delivery_id"])
    request = await _prepare(db, delivery_id)
    if request is None:
        return
    # No transaction is open during the call; the sender bounds how long it can take.
    result = await sender.post(request.url, request.body, request.headers)
    schedule = settings.webhook_retry_schedule_seconds

    async def record(session: AsyncSession) -> float | None:
        """The attempt and what follows from it; the delay before the next try, if any."""
        repo = DeliveryRepository(session)
        loaded = await repo.load(delivery_id)
        if loaded is None:
            return None
        delivery, endpoint, _event = loaded
        await repo.add_attempt(
            WebhookAttempt(
                delivery_id=delivery.id,
                status_code=result.status_code,
                response_body=result.response_body,
                error=result.error,
                duration_ms=result.duration_ms,
            )
        )
        delivery.attempts = request.attempt
        delivery.last_status_code = result.status_code
        if result.ok:
            delivery.state, delivery.next_attempt_at = DeliveryState.SUCCEEDED, None
        elif request.attempt > len(schedule):
            delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
            await disable_failing(session, endpoint)
        else:
            retry_in = schedule[request.attempt - 1]
            delivery.next_attempt_at = utcnow() + timedelta(seconds=retry_in)
            return retry_in
        return None

    # Retried while the database is away (a failover): an attempt that went out but was not
    # recorded would be sent again.
    retry_in = await retrying(db, record, within=RECORD_WITHIN_SECONDS)
    if retry_in is not None:
        raise RetryLater(retry_in)
