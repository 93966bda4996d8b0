from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import bindparam, select

from skylight.events.models import Event
from skylight.kit.repository import Repository, ScopedRepository
from skylight.webhooks.cache import endpoints
from skylight.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointRepository(ScopedRepository[WebhookEndpoint]):
    model = WebhookEndpoint

    async def all(self) -> Sequence[WebhookEndpoint]:
        rows = await self.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == self.workspace_id)
            .order_by(WebhookEndpoint.id)
        )
        return rows.all()

    async def subscribed(self, event_type: str) -> list[int]:
        """The ids of the enabled endpoints that want this type of event (asked for every
        event: remembered by the process, see webhooks.cache)."""
        enabled = endpoints.get(self.workspace_id)
        if enabled is None:
            generation = endpoints.generation
            rows = await self.session.execute(_ENABLED, {"workspace_id": self.workspace_id})
            enabled = [(endpoint_id, types) for endpoint_id, types in rows]
            endpoints.put(self.workspace_id, enabled, generation)
        return [endpoint_id for endpoint_id, types in enabled if _wants_type(types, event_type)]

    async def delete(self, endpoint: WebhookEndpoint) -> None:
        await self.session.delete(endpoint)

    async def deliveries(
        self, endpoint_id: int, *, offset: int, limit: int
    ) -> Sequence[tuple[WebhookDelivery, Event]]:
        rows = await self.session.execute(
            select(WebhookDelivery, Event)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in rows]

    async def delivery(self, endpoint_id: int, delivery_id: int) -> WebhookDelivery | None:
        return await self.session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.id == delivery_id
            )
        )

    async def attempts(self, delivery_ids: Sequence[int]) -> Sequence[WebhookAttempt]:
        if not delivery_ids:
            return []
        rows = await self.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
            .order_by(WebhookAttempt.id)
        )
        return rows.all()


def _wants_type(event_types: str, event_type: str) -> bool:
    types = json.loads(event_types)
    return "*" in types or event_type in types


# Built once (it runs for every event).
_ENABLED = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
    WebhookEndpoint.workspace_id == bindparam("workspace_id"),
    WebhookEndpoint.enabled.is_(True),
)


class DeliveryRepository(Repository[WebhookDelivery]):
    """Across workspaces: the delivery job only knows a delivery id."""

    async def load(self, delivery_id: int) -> tuple[WebhookDelivery, WebhookEndpoint, Event] | None:
        row = (
            await self.session.execute(
                select(WebhookDelivery, WebhookEndpoint, Event)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .join(Event, Event.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.id == delivery_id)
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def add_attempt(self, attempt: WebhookAttempt) -> None:
        self.session.add(attempt)
        await self.session.flush()
