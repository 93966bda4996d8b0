"""Unipile v1 webhook management routes."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.errors import SimError, invalid, not_found
from skylight.integrations.unipile.simulator.state import SimulatorState, get_state
from skylight.integrations.unipile.simulator.wire import new_id, now_ms

router = APIRouter(prefix="/api/v1/webhooks")
# The SDK's WebhookMessagingTriggerEventSchema: there is no message_delivered (delivery shows
# on the message object's delivered/seen flags).
MESSAGING_EVENTS = frozenset({"message_received", "message_read", "message_reaction"})
# The SDK's webhook-list validator rejects INSTAGRAM here; Instagram accounts are listed as
# MOBILE, the generic type Unipile gives app-based messaging accounts.
LISTED_TYPE = {"INSTAGRAM": "MOBILE"}


class HeaderBody(BaseModel):
    key: str = Field(min_length=1)
    value: str


class WebhookBody(BaseModel):
    request_url: str = Field(min_length=1)
    source: Literal["messaging", "account_status", "email", "email_tracking"]
    name: str | None = None
    format: Literal["json", "form"] = "json"
    account_ids: list[str] = Field(default_factory=list)
    enabled: bool = True
    headers: list[HeaderBody] = Field(default_factory=list)
    events: list[str] | None = None
    data: list[dict[str, Any]] = Field(default_factory=list)


@router.post("")
async def create_webhook(
    body: WebhookBody, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    if not body.request_url.startswith(("http://", "https://")):
        raise SimError(400, "errors/invalid_url", "request_url must be an http(s) URL")
    if body.format == "form" or body.data:
        raise SimError(501, "errors/feature_not_implemented", "Only plain JSON bodies simulated")
    events = body.events
    if body.source == "messaging":
        events = events or ["message_received"]  # Unipile's documented default
        unknown = set(events) - MESSAGING_EVENTS
        if unknown:
            allowed = ", ".join(sorted(MESSAGING_EVENTS))
            raise invalid(f"Unknown events: {', '.join(sorted(unknown))} (one of {allowed})")
    else:
        events = None  # only messaging webhooks have events
    webhook_id = new_id()
    async with state.engine.begin() as conn:
        await conn.execute(
            sa.insert(t.webhooks).values(
                id=webhook_id,
                source=body.source,
                request_url=body.request_url,
                name=body.name,
                headers=[h.model_dump() for h in body.headers],
                events=events or [],
                account_ids=body.account_ids,
                enabled=int(body.enabled),
                created_ms=now_ms(),
            )
        )
    return JSONResponse({"object": "WebhookCreated", "webhook_id": webhook_id}, status_code=201)


@router.get("")
async def list_webhooks(state: SimulatorState = Depends(get_state)) -> JSONResponse:
    async with state.engine.begin() as conn:
        hooks = (await conn.execute(sa.select(t.webhooks).order_by(t.webhooks.c.created_ms))).all()
        accounts = {
            row.id: row
            for row in (
                await conn.execute(sa.select(t.accounts.c.id, t.accounts.c.name, t.accounts.c.type))
            ).all()
        }
    items = []
    for hook in hooks:
        refs = [
            {"id": a.id, "name": a.name, "type": LISTED_TYPE.get(a.type, a.type)}
            for a in (accounts[i] for i in hook.account_ids if i in accounts)
        ]
        item: dict[str, Any] = {
            "object": "Webhook",
            "id": hook.id,
            "type": "AUTO",
            "account_ids": refs,
            "enabled": bool(hook.enabled),
            "name": hook.name or "",  # always a string, never null
            "request_url": hook.request_url,
            "format": "json",
            "headers": hook.headers,
            "data": [],
            "source": hook.source,
        }
        if hook.source == "messaging":
            item["events"] = hook.events
        items.append(item)
    return JSONResponse({"object": "WebhookList", "items": items, "cursor": None})


@router.delete("/{webhook_id}")
async def delete_webhook(
    webhook_id: str, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        deleted = await conn.execute(sa.delete(t.webhooks).where(t.webhooks.c.id == webhook_id))
        if deleted.rowcount == 0:
            raise not_found("Webhook")
        # A deleted webhook stops receiving, retries included.
        await conn.execute(
            sa.delete(t.deliveries).where(
                t.deliveries.c.webhook_id == webhook_id, t.deliveries.c.state == "pending"
            )
        )
    return JSONResponse({"object": "WebhookDeleted"})
