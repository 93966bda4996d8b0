"""Webhook payloads (shaped as Unipile's §5.2 / §5.3 and live captures) and their queueing.

Messaging events emitted, each with its own shape:
- ``message_received``: inbound, sent from the phone, and API sends when echo is on. It carries
  ``is_sender`` (a real boolean); ``account_info`` only on messages the account received, as in
  live payloads where it is often absent; ``attachments`` is always an array.
- ``message_read``: the other party read one of the account's messages; no ``sender`` block,
  no text. (There is no ``message_delivered`` event: delivery shows on the message object.)
- ``message_reaction``: ``reaction`` and ``reaction_sender``; ``sender`` is the author of the
  message reacted to.
A messaging webhook created without ``events`` gets only ``message_received``, Unipile's
documented default.
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


def profile_url(account_type: str, public_id: str | None) -> str | None:
    if not public_id:
        return None
    if account_type == "INSTAGRAM":
        return f"https://www.instagram.com/{public_id}/"
    if account_type == "TELEGRAM":
        return f"https://t.me/{public_id}"
    return None


def webhook_attendee(account_type: str, row: Any) -> dict[str, Any]:
    attendee = {
        "attendee_id": row.id,
        "attendee_name": row.name,
        "attendee_provider_id": row.provider_id,
    }
    url = profile_url(account_type, row.public_id)
    if url is not None:
        attendee["attendee_profile_url"] = url
    return attendee


async def _attendee_row(conn: AsyncConnection, attendee_id: str) -> sa.Row[Any]:
    query = sa.select(t.attendees).where(t.attendees.c.id == attendee_id)
    return (await conn.execute(query)).one()


async def emit_message_event(
    conn: AsyncConnection,
    state: SimulatorState,
    event: str,
    message_id: str,
    *,
    reaction: str | None = None,
    reactor_id: str | None = None,
) -> None:
    message = (await conn.execute(sa.select(t.messages).where(t.messages.c.id == message_id))).one()
    account = (
        await conn.execute(sa.select(t.accounts).where(t.accounts.c.id == message.account_id))
    ).one()
    hooks = await _webhooks_for(conn, "messaging", account.id, event)
    if not hooks:
        return
    kind = account.type
    sender = await _attendee_row(conn, message.sender_attendee_id)
    chat = (await conn.execute(sa.select(t.chats).where(t.chats.c.id == message.chat_id))).one()
    other = await _attendee_row(conn, chat.attendee_id)
    # Receipts and reactions are stamped when they happen, messages when they were sent.
    stamp = message.timestamp_ms if event == "message_received" else now_ms()
    from_account = bool(message.is_sender)
    for webhook in hooks:
        body: dict[str, Any] = {"account_id": account.id, "account_type": kind}
        if event != "message_received" or not from_account:
            body["account_info"] = {"type": kind, "feature": "classic", "user_id": account.user_id}
        body.update(
            event=event,
            chat_id=chat.id,
            timestamp=iso_ms(stamp),
            webhook_name=webhook.name or "",
            message_id=message.id,
        )
        if event == "message_received":
            body.update(
                message=message.text,
                is_sender=from_account,
                sender=webhook_attendee(kind, sender),
                attendees=[webhook_attendee(kind, other)],
                attachments=list(message.attachments),
            )
        elif event == "message_reaction":
            assert reactor_id is not None
            reactor = await _attendee_row(conn, reactor_id)
            body.update(
                reaction=reaction,
                reaction_sender=webhook_attendee(kind, reactor),
                sender=webhook_attendee(kind, sender),
                is_sender=bool(reactor.is_self),
            )
        await enqueue(conn, state, webhook, body)
