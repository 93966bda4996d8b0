from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.models import Event
from skylight.jobs.service import enqueue
from skylight.kit.time import utcnow
from skylight.webhooks.models import WebhookDelivery
from skylight.webhooks.repository import EndpointRepository

JOB_KIND = "webhook.deliver"


async def schedule_deliveries(session: AsyncSession, event: Event) -> None:
    """A delivery row and a job per subscribed endpoint, in the event's own transaction."""
    for endpoint_id in await EndpointRepository(session, event.workspace_id).subscribed(event.type):
        await schedule(session, event.workspace_id, endpoint_id, event.id)


async def schedule(
    session: AsyncSession, workspace_id: int, endpoint_id: int, event_id: int
) -> WebhookDelivery:
    delivery = WebhookDelivery(endpoint_id=endpoint_id, event_id=event_id, next_attempt_at=utcnow())
    session.add(delivery)
    await session.flush()
    await enqueue_delivery(session, workspace_id, delivery.id)
    return delivery


async def enqueue_delivery(session: AsyncSession, workspace_id: int, delivery_id: int) -> None:
    # One live job per delivery: a redelivery while one is queued adds nothing. The workspace
    # is named so a worker runs at most its share of one workspace's deliveries at once: a
    # slow endpoint holds a few slots, never all.
    await enqueue(
        session,
        JOB_KIND,
        {"delivery_id": delivery_id},
        dedupe_key=f"{JOB_KIND}:{delivery_id}",
        max_attempts=1000,
        workspace_id=workspace_id,
    )
