"""Webhook payloads (shaped as Unipile's §5.2 / §5.3) and their queueing as deliveries.

Messaging events emitted: ``message_received`` (inbound, sent from the phone, and API sends
when echo is on), ``message_delivered`` and ``message_read`` (receipts). A messaging webhook
created without ``events`` gets only ``message_received``, Unipile's documented default.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.state import SimulatorState
from skylight.integrations.unipile.simulator.wire import iso_ms, now_ms


async def _webhooks_for(
    conn: AsyncConnection, source: str, account_id: str, event: str | None
) -> list[sa.Row[Any]]:
    rows = (
        await conn.execute(
            sa.select(t.webhooks)
            .where(t.webhooks.c.source == source, t.webhooks.c.enabled == 1)
            .order_by(t.webhooks.c.created_ms)
        )
    ).all()
    return [
        row
        for row in rows
        if (not row.account_ids or account_id in row.account_ids)
        and (event is None or event in row.events)
    ]


async def enqueue(
    conn: AsyncConnection, state: SimulatorState, webhook: sa.Row[Any], body: dict[str, Any]
) -> None:
    event = body.get("AccountStatus", body)
    faults = state.faults_for(event.get("account_id"))
    copies = 2 if state.chance(faults.webhook_duplicate_rate) else 1
    delivery_state = "dropped" if state.chance(faults.webhook_drop_rate) else "pending"
    values = {
        "webhook_id": webhook.id,
        "request_url": webhook.request_url,
        "headers": {h["key"]: h["value"] for h in webhook.headers},
        "body": json.dumps(body, ensure_ascii=False),
        "attempts": 0,
        "next_attempt_ms": now_ms(),
        "state": delivery_state,
    }
    for _ in range(copies if delivery_state == "pending" else 1):
        await conn.execute(sa.insert(t.deliveries).values(**values))
    state.wake.set()


async def emit_account_status(
    conn: AsyncConnection, state: SimulatorState, account_id: str, account_type: str, message: str
) -> None:
    body = {
        "AccountStatus": {
            "account_id": account_id,
            "account_type": account_type,
            "message": message,
        }
    }
    for webhook in await _webhooks_for(conn, "account_status", account_id, None):
        await enqueue(conn, state, webhook, body)


def webhook_attendee(account_type: str, row: Any) -> dict[str, Any]:
    attendee = {
        "attendee_id": row.id,
        "attendee_name": row.name,
        "attendee_provider_id": row.provider_id,
    }
    if account_type == "INSTAGRAM":
        attendee["attendee_profile_url"] = f"https://www.instagram.com/{row.provider_id}/"
    return attendee


async def emit_message_event(
    conn: AsyncConnection, state: SimulatorState, event: str, message_id: str
) -> None:
    message = (await conn.execute(sa.select(t.messages).where(t.messages.c.id == message_id))).one()
    account = (
        await conn.execute(sa.select(t.accounts).where(t.accounts.c.id == message.account_id))
    ).one()
    hooks = await _webhooks_for(conn, "messaging", account.id, event)
    if not hooks:
        return
    sender = (
        await conn.execute(
            sa.select(t.attendees).where(t.attendees.c.id == message.sender_attendee_id)
        )
    ).one()
    chat = (await conn.execute(sa.select(t.chats).where(t.chats.c.id == message.chat_id))).one()
    other = (
        await conn.execute(sa.select(t.attendees).where(t.attendees.c.id == chat.attendee_id))
    ).one()
    # Receipts are stamped when they happen, messages when they were sent.
    stamp = message.timestamp_ms if event == "message_received" else now_ms()
    for webhook in hooks:
        body = {
            "account_id": account.id,
            "account_type": account.type,
            "account_info": {
                "type": account.type,
                "feature": "classic",
                "user_id": account.user_id,
            },
            "event": event,
            "chat_id": chat.id,
            "timestamp": iso_ms(stamp),
            "webhook_name": webhook.name,
            "message_id": message.id,
            "message": message.text,
            "sender": webhook_attendee(account.type, sender),
            "attendees": [webhook_attendee(account.type, other)],
            "attachments": list(message.attachments),
        }
        await enqueue(conn, state, webhook, body)
