"""Unipile v1 messaging routes: start a chat, send, read chats/messages/attendees."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.simulator import attachments
from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.accounts import get_account
from skylight.integrations.unipile.simulator.errors import SimError, invalid, missing
from skylight.integrations.unipile.simulator.events import emit_message_event
from skylight.integrations.unipile.simulator.listing import fetch_page, resolve_page
from skylight.integrations.unipile.simulator.messaging import (
    CHAT_SELECT,
    MESSAGE_SELECT,
    add_message,
    attendee_for,
    chat_for,
    check_recipient,
    check_text,
    get_chat_row,
    get_message_row,
    render_attendee,
    render_chat,
    render_message,
    self_attendee,
)
from skylight.integrations.unipile.simulator.state import SimulatorState, get_state

router = APIRouter(prefix="/api/v1")


async def _form(request: Request) -> tuple[dict[str, list[str]], list[attachments.Incoming]]:
    """Multipart (what Unipile documents), urlencoded or JSON; every field as a list, and the
    `attachments` files (multipart only)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        data = await request.json()
        if not isinstance(data, dict):
            raise invalid("Body must be an object")
        return {k: v if isinstance(v, list) else [v] for k, v in data.items()}, []
    form = await request.form(max_files=attachments.MAX_FILES + 1)
    try:
        fields = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
        return fields, await attachments.read_uploads(form.getlist("attachments"))
    finally:
        await form.close()


def _one(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name) or []
    return str(values[0]) if values else None


async def _sendable_account(conn: AsyncConnection, account_id: str) -> Any:
    account = await get_account(conn, account_id)
    if account.status != "OK":
        raise SimError(401, "errors/disconnected_account", "The account is not connected")
    return account


async def _record_send(
    conn: AsyncConnection,
    state: SimulatorState,
    account: Any,
    chat_id: str,
    text: str | None,
    files: list[attachments.Incoming],
) -> str:
    sender = await self_attendee(conn, account.id)
    kept = attachments.prepare(files)
    message_id = await add_message(conn, account, chat_id, sender, text, attachments.rendered(kept))
    await attachments.keep(conn, message_id, kept)
    chat = await get_chat_row(conn, chat_id)
    await conn.execute(
        sa.insert(t.sent_log).values(
            account_id=account.id,
            chat_id=chat_id,
            attendee_provider_id=chat.attendee_provider_id,
            text=text,
            message_id=message_id,
            timestamp_ms=(await get_message_row(conn, message_id)).timestamp_ms,
        )
    )
    if state.config.echo_api_messages:
        await emit_message_event(conn, state, "message_received", message_id)
    return message_id


@router.post("/chats")
async def start_chat(request: Request, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    fields, files = await _form(request)
    account_id, text = _one(fields, "account_id"), _one(fields, "text")
    attendees = [str(a) for a in fields.get("attendees_ids", [])]
    if not account_id or not attendees:
        raise missing("account_id and attendees_ids are required")
    if len(attendees) > 1:
        raise SimError(501, "errors/feature_not_implemented", "Group chats are not simulated")
    check_text(text)
    async with state.engine.begin() as conn:
        account = await _sendable_account(conn, account_id)
        username = await check_recipient(conn, account.type, attendees[0])
        attendee = await attendee_for(conn, account, attendees[0], None, username)
        chat_id = await chat_for(conn, account.id, attendee)
        message_id = None
        if text or files:
            message_id = await _record_send(conn, state, account, chat_id, text, files)
    body = {"object": "ChatStarted", "chat_id": chat_id, "message_id": message_id}
    return JSONResponse(body, status_code=201)


@router.post("/chats/{chat_id}/messages")
async def send_message(
    chat_id: str, request: Request, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    fields, files = await _form(request)
    text = _one(fields, "text")
    if not text and not files:
        raise missing("text or attachments is required")
    check_text(text)
    async with state.engine.begin() as conn:
        chat = await get_chat_row(conn, chat_id)
        account = await _sendable_account(conn, chat.account_id)
        message_id = await _record_send(conn, state, account, chat.id, text, files)
    return JSONResponse({"object": "MessageSent", "message_id": message_id}, status_code=201)


def _account_filter(column: sa.ColumnElement[str], account_id: str | None) -> Any:
    ids = [a for a in (account_id or "").split(",") if a]
    return column.in_(ids) if ids else sa.true()


@router.get("/chats")
async def list_chats(
    account_id: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    after: str | None = None,
    before: str | None = None,
    state: SimulatorState = Depends(get_state),
) -> JSONResponse:
    page = resolve_page(cursor, limit, {"account_id": account_id, "after": after, "before": before})
    stmt = CHAT_SELECT.where(_account_filter(t.chats.c.account_id, page.filters.get("account_id")))
    async with state.engine.begin() as conn:
        rows, next_cursor = await fetch_page(conn, stmt, t.chats.c.timestamp_ms, t.chats.c.id, page)
    items = [render_chat(row) for row in rows]
    return JSONResponse({"object": "ChatList", "items": items, "cursor": next_cursor})


@router.get("/chats/{chat_id}")
async def read_chat(chat_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    async with state.engine.begin() as conn:
        chat = render_chat(await get_chat_row(conn, chat_id))
        last = (
            await conn.execute(
                MESSAGE_SELECT.where(t.messages.c.chat_id == chat_id)
                .order_by(t.messages.c.timestamp_ms.desc(), t.messages.c.id.desc())
                .limit(1)
            )
        ).one_or_none()
    # lastMessage is required on a single chat, null when there is none.
    chat["lastMessage"] = render_message(last) if last is not None else None
    return JSONResponse(chat)


async def _message_page(
    state: SimulatorState,
    where: Any,
    cursor: str | None,
    limit: int | None,
    filters: dict[str, Any],
) -> JSONResponse:
    page = resolve_page(cursor, limit, filters)
    async with state.engine.begin() as conn:
        rows, next_cursor = await fetch_page(
            conn,
            MESSAGE_SELECT.where(where(page)),
            t.messages.c.timestamp_ms,
            t.messages.c.id,
            page,
        )
    items = [render_message(row) for row in rows]
    return JSONResponse({"object": "MessageList", "items": items, "cursor": next_cursor})


@router.get("/chats/{chat_id}/messages")
async def list_chat_messages(
    chat_id: str,
    limit: int | None = None,
    cursor: str | None = None,
    after: str | None = None,
    before: str | None = None,
    state: SimulatorState = Depends(get_state),
) -> JSONResponse:
    async with state.engine.begin() as conn:
        await get_chat_row(conn, chat_id)
    filters = {"after": after, "before": before}
    return await _message_page(
        state, lambda _page: t.messages.c.chat_id == chat_id, cursor, limit, filters
    )


@router.get("/messages")
async def list_messages(
    account_id: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    after: str | None = None,
    before: str | None = None,
    state: SimulatorState = Depends(get_state),
) -> JSONResponse:
    filters = {"account_id": account_id, "after": after, "before": before}
    return await _message_page(
        state,
        lambda page: _account_filter(t.messages.c.account_id, page.filters.get("account_id")),
        cursor,
        limit,
        filters,
    )


@router.get("/messages/{message_id}")
async def read_message(message_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    async with state.engine.begin() as conn:
        return JSONResponse(render_message(await get_message_row(conn, message_id)))


@router.get("/chats/{chat_id}/attendees")
async def list_chat_attendees(
    chat_id: str, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        chat = await get_chat_row(conn, chat_id)
        rows = (
            await conn.execute(
                sa.select(t.attendees)
                .where(
                    t.attendees.c.account_id == chat.account_id,
                    sa.or_(t.attendees.c.id == chat.attendee_id, t.attendees.c.is_self == 1),
                )
                .order_by(t.attendees.c.is_self)
            )
        ).all()
    items = [render_attendee(row) for row in rows]
    return JSONResponse({"object": "ChatAttendeeList", "items": items, "cursor": None})
