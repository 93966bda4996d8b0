"""Chats, attendees and messages in the simulator's store, rendered in Unipile's shapes."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator import users
from skylight.integrations.unipile.simulator.errors import SimError, not_found
from skylight.integrations.unipile.simulator.wire import iso_ms, new_id, now_ms

WHATSAPP_ID = re.compile(r"^(\d{6,15})@s\.whatsapp\.net$")
MAX_TEXT = 4096

# Messages joined with their chat's provider id and their sender's provider id.
_sender = t.attendees.alias("sender")
MESSAGE_SELECT = (
    sa.select(
        t.messages,
        t.chats.c.provider_id.label("chat_provider_id"),
        _sender.c.provider_id.label("sender_id"),
    )
    .join(t.chats, t.chats.c.id == t.messages.c.chat_id)
    .join(_sender, _sender.c.id == t.messages.c.sender_attendee_id)
)
CHAT_SELECT = (
    sa.select(
        t.chats,
        t.accounts.c.type.label("account_type"),
        t.attendees.c.name.label("attendee_name"),
        t.attendees.c.provider_id.label("attendee_provider_id"),
    )
    .join(t.accounts, t.accounts.c.id == t.chats.c.account_id)
    .join(t.attendees, t.attendees.c.id == t.chats.c.attendee_id)
)


async def check_recipient(conn: AsyncConnection, account_type: str, attendee_id: str) -> str | None:
    """Refuse what Unipile refuses as ``attendees_ids``; the user's username when known."""
    if account_type == "WHATSAPP":
        match = WHATSAPP_ID.match(attendee_id)
        if match is None:
            raise SimError(422, "errors/invalid_recipient", "Invalid WhatsApp user id")
        if match.group(1).endswith("0000"):
            raise SimError(422, "errors/invalid_recipient", "This number is not on WhatsApp")
        return None
    user = await users.recipient(conn, account_type, attendee_id)
    return user.username if user is not None else None


def check_text(text: str | None) -> None:
    if text is not None and len(text) > MAX_TEXT:
        raise SimError(400, "errors/too_many_characters", f"Text exceeds {MAX_TEXT} characters")


def default_name(account_type: str, provider_id: str) -> str:
    match = WHATSAPP_ID.match(provider_id)
    return f"+{match.group(1)}" if account_type == "WHATSAPP" and match else provider_id


def provider_message_id(account_type: str) -> str:
    if account_type == "WHATSAPP":
        return "3EB0" + secrets.token_hex(9).upper()
    if account_type == "TELEGRAM":
        return str(secrets.randbelow(10**9))
    return "aWdfZAG" + secrets.token_urlsafe(24)


async def attendee_for(
    conn: AsyncConnection,
    account: Any,
    provider_id: str,
    name: str | None,
    public_id: str | None = None,
) -> sa.Row[Any]:
    query = sa.select(t.attendees).where(
        t.attendees.c.account_id == account.id, t.attendees.c.provider_id == provider_id
    )
    row = (await conn.execute(query)).one_or_none()
    if row is None:
        values = {"id": new_id(), "account_id": account.id, "provider_id": provider_id}
        name = name or public_id or default_name(account.type, provider_id)
        await conn.execute(
            sa.insert(t.attendees).values(name=name, is_self=0, public_id=public_id, **values)
        )
    else:
        changes = {"name": name} if name and name != row.name else {}
        if public_id and public_id != row.public_id:
            changes["public_id"] = public_id
        if changes:
            await conn.execute(
                sa.update(t.attendees).where(t.attendees.c.id == row.id).values(**changes)
            )
    return (await conn.execute(query)).one()


async def attendee_by_id(conn: AsyncConnection, attendee_id: str) -> sa.Row[Any]:
    query = sa.select(t.attendees).where(t.attendees.c.id == attendee_id)
    return (await conn.execute(query)).one()


async def self_attendee(conn: AsyncConnection, account_id: str) -> sa.Row[Any]:
    query = sa.select(t.attendees).where(
        t.attendees.c.account_id == account_id, t.attendees.c.is_self == 1
    )
    return (await conn.execute(query)).one()


async def chat_for(conn: AsyncConnection, account_id: str, attendee: sa.Row[Any]) -> str:
    """The 1:1 chat with the attendee, created on first use (one chat per user)."""
    query = sa.select(t.chats.c.id).where(
        t.chats.c.account_id == account_id, t.chats.c.attendee_id == attendee.id
    )
    chat_id = (await conn.execute(query)).scalar_one_or_none()
    if chat_id is None:
        chat_id = new_id()
        await conn.execute(
            sa.insert(t.chats).values(
                id=chat_id,
                account_id=account_id,
                provider_id=attendee.provider_id,
                attendee_id=attendee.id,
                timestamp_ms=now_ms(),
                unread_count=0,
            )
        )
    return chat_id


async def add_message(
    conn: AsyncConnection,
    account: Any,
    chat_id: str,
    sender: sa.Row[Any],
    text: str | None,
    attachments: list[dict[str, Any]] | None = None,
) -> str:
    is_sender = int(sender.is_self == 1)
    latest = (
        await conn.execute(
            sa.select(sa.func.max(t.messages.c.timestamp_ms)).where(t.messages.c.chat_id == chat_id)
        )
    ).scalar_one_or_none()
    # Strictly increasing per chat, so "newest first" never depends on the id tie-break.
    stamp = max(now_ms(), (latest or 0) + 1)
    message_id = new_id()
    await conn.execute(
        sa.insert(t.messages).values(
            id=message_id,
            account_id=account.id,
            chat_id=chat_id,
            provider_id=provider_message_id(account.type),
            sender_attendee_id=sender.id,
            text=text,
            timestamp_ms=stamp,
            is_sender=is_sender,
            seen=0,
            # Outgoing messages wait for a delivery receipt; incoming ones were delivered to us.
            delivered=0 if is_sender else 1,
            seen_by={},
            attachments=attachments or [],
        )
    )
    unread = t.chats.c.unread_count + (0 if is_sender else 1)
    await conn.execute(
        sa.update(t.chats)
        .where(t.chats.c.id == chat_id)
        .values(timestamp_ms=stamp, unread_count=unread)
    )
    return message_id


def render_message(row: Any) -> dict[str, Any]:
    original = {"key": {"id": row.provider_id, "fromMe": bool(row.is_sender)}, "text": row.text}
    return {
        "object": "Message",
        "id": row.id,
        "account_id": row.account_id,
        "chat_id": row.chat_id,
        "chat_provider_id": row.chat_provider_id,
        "provider_id": row.provider_id,
        "sender_id": row.sender_id,
        "sender_attendee_id": row.sender_attendee_id,
        "text": row.text,
        "attachments": row.attachments,
        "timestamp": iso_ms(row.timestamp_ms),
        "is_sender": row.is_sender,
        "reactions": [],
        "seen": row.seen,
        "seen_by": row.seen_by,
        "hidden": 0,
        "deleted": 0,
        "edited": 0,
        "is_event": 0,
        "delivered": row.delivered,
        "behavior": None,
        "original": json.dumps(original),
    }


def render_chat(row: Any) -> dict[str, Any]:
    return {
        "object": "Chat",
        "id": row.id,
        "account_id": row.account_id,
        "account_type": row.account_type,
        "provider_id": row.provider_id,
        "attendee_provider_id": row.attendee_provider_id,
        "name": row.attendee_name,
        "type": 0,
        "timestamp": iso_ms(row.timestamp_ms),
        "unread_count": row.unread_count,
        "archived": 0,
        "muted_until": None,
        "read_only": 0,
    }


def render_attendee(row: Any) -> dict[str, Any]:
    return {
        "object": "ChatAttendee",
        "id": row.id,
        "account_id": row.account_id,
        "provider_id": row.provider_id,
        "name": row.name,
        "is_self": row.is_self,
        "hidden": 0,
    }


async def get_chat_row(conn: AsyncConnection, chat_id: str) -> sa.Row[Any]:
    row = (await conn.execute(CHAT_SELECT.where(t.chats.c.id == chat_id))).one_or_none()
    if row is None:
        raise not_found("Chat")
    return row


async def get_message_row(conn: AsyncConnection, message_id: str) -> sa.Row[Any]:
    row = (await conn.execute(MESSAGE_SELECT.where(t.messages.c.id == message_id))).one_or_none()
    if row is None:
        raise not_found("Message")
    return row
