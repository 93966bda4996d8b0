from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.service import emit
from skylight.kit.errors import NotFound
from skylight.kit.pagination import PageParams
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from skylight.webhooks.cache import endpoints
from skylight.webhooks.models import DeliveryState, WebhookEndpoint
from skylight.webhooks.outbox import enqueue_delivery, schedule
from skylight.webhooks.repository import EndpointRepository
from skylight.webhooks.schemas import (
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
)
from skylight.webhooks.signing import new_secret
from skylight.webhooks.urls import check_url


async def _get(session: AsyncSession, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await EndpointRepository(session, workspace_id).get(endpoint_id)
    if endpoint is None:
        raise NotFound(f"Webhook endpoint {endpoint_id} not found.")
    return endpoint


async def create(
    session: AsyncSession, workspace_id: int, body: EndpointCreate, settings: Settings
) -> EndpointWithSecret:
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url=check_url(body.url, allow_private=settings.webhook_allow_private_urls),
        description=body.description,
        event_types=json.dumps(body.event_types),
        secret=new_secret(),
    )
    await EndpointRepository(session, workspace_id).add(endpoint)
    endpoints.changed(session, workspace_id)
    return EndpointWithSecret(**EndpointOut.build(endpoint).model_dump(), secret=endpoint.secret)


async def list_endpoints(session: AsyncSession, workspace_id: int) -> list[EndpointOut]:
    return [EndpointOut.build(e) for e in await EndpointRepository(session, workspace_id).all()]


async def get(session: AsyncSession, workspace_id: int, endpoint_id: int) -> EndpointOut:
    return EndpointOut.build(await _get(session, workspace_id, endpoint_id))


async def update(
    session: AsyncSession,
    workspace_id: int,
    endpoint_id: int,
    body: EndpointUpdate,
    settings: Settings,
) -> EndpointOut:
    endpoint = await _get(session, workspace_id, endpoint_id)
    if body.url is not None:
        endpoint.url = check_url(body.url, allow_private=settings.webhook_allow_private_urls)
    if body.event_types is not None:
        endpoint.event_types = json.dumps(body.event_types)
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is not None:
        endpoint.enabled = body.enabled
        endpoint.disabled_reason = None if body.enabled else "Disabled by the user."
    endpoint.updated_at = utcnow()
    await session.flush()
    endpoints.changed(session, workspace_id)
    return EndpointOut.build(endpoint)


async def delete(session: AsyncSession, workspace_id: int, endpoint_id: int) -> None:
    endpoint = await _get(session, workspace_id, endpoint_id)
    await EndpointRepository(session, workspace_id).delete(endpoint)
    endpoints.changed(session, workspace_id)


async def rotate(
    session: AsyncSession,
    workspace_id: int,
    endpoint_id: int,
    grace_hours: float | None,
    settings: Settings,
) -> EndpointWithSecret:
    """A new secret now; the old one keeps signing (a second v1) during the grace period."""
    endpoint = await _get(session, workspace_id, endpoint_id)
    grace = settings.webhook_secret_grace_hours if grace_hours is None else grace_hours
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + timedelta(hours=grace)
    endpoint.secret = new_secret()
    endpoint.updated_at = utcnow()
    await session.flush()
    return EndpointWithSecret(**EndpointOut.build(endpoint).model_dump(), secret=endpoint.secret)


async def send_test(session: AsyncSession, workspace_id: int, endpoint_id: int) -> str:
    endpoint = await _get(session, workspace_id, endpoint_id)
    data = {"endpoint_id": endpoint.id, "message": "This is a test event."}
    event = await emit(session, workspace_id, "webhook_endpoint.test", data, publish=False)
    # Only to this endpoint, whatever it subscribes to.
    await schedule(session, workspace_id, endpoint.id, event.id)
    return event.public_id


async def deliveries(
    session: AsyncSession, workspace_id: int, endpoint_id: int, page: PageParams
) -> list[DeliveryOut]:
    await _get(session, workspace_id, endpoint_id)
    repo = EndpointRepository(session, workspace_id)
    rows = await repo.deliveries(endpoint_id, offset=page.offset, limit=page.per_page)
    attempts = await repo.attempts([d.id for d, _ in rows])
    by_delivery: dict[int, list] = {}  # type: ignore[type-arg]
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return [DeliveryOut.build(d, e.public_id, e.type, by_delivery.get(d.id, [])) for d, e in rows]


async def redeliver(
    session: AsyncSession, workspace_id: int, endpoint_id: int, delivery_id: int
) -> None:
    await _get(session, workspace_id, endpoint_id)
    delivery = await EndpointRepository(session, workspace_id).delivery(endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} not found.")
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = utcnow()
    await enqueue_delivery(session, workspace_id, delivery.id)


async def disable_failing(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """An endpoint whose delivery failed for the whole retry schedule is switched off, and an
    event says so (to the workspace's other endpoints and the stream)."""
    if not endpoint.enabled:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = "Deliveries kept failing for the whole retry period."
    endpoint.updated_at = utcnow()
    await session.flush()
    endpoints.changed(session, endpoint.workspace_id)
    await emit(
        session, endpoint.workspace_id, "webhook_endpoint.disabled", EndpointOut.build(endpoint)
    )
