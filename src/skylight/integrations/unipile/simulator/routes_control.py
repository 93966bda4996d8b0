"""Sandbox control routes (not Unipile's): drive the simulated phones and inject faults."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.providers import whatsapp_provider_id
from skylight.integrations.unipile.simulator import attachments
from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.accounts import (
    connected,
    get_account,
    live_intent,
    render_account,
    set_status,
)
from skylight.integrations.unipile.simulator.attachments import sent_files
from skylight.integrations.unipile.simulator.config import Faults
from skylight.integrations.unipile.simulator.errors import SimError, invalid
from skylight.integrations.unipile.simulator.events import emit_account_status, emit_message_event
from skylight.integrations.unipile.simulator.messaging import (
    add_message,
    attendee_by_id,
    attendee_for,
    chat_for,
    get_chat_row,
    get_message_row,
    render_message,
    self_attendee,
)
from skylight.integrations.unipile.simulator.state import (
    SimulatorState,
    current_tenant,
    get_state,
)
from skylight.integrations.unipile.simulator.users import resolve as resolve_user
from skylight.integrations.unipile.simulator.wire import iso_ms, new_id

router = APIRouter(prefix="/_sandbox")
SOURCE_STATUSES = frozenset({"OK", "CONNECTING", "CREDENTIALS", "PERMISSIONS", "STOPPED", "ERROR"})
WEBHOOK_ONLY = frozenset({"CREATION_SUCCESS", "SYNC_SUCCESS", "RECONNECTED"})


class ScanBody(BaseModel):
    username: str | None = None


class StatusBody(BaseModel):
    status: str


class AttachmentBody(BaseModel):
    type: Literal["img", "video", "audio", "file"]
    mimetype: str = "application/octet-stream"
    file_name: str | None = None


class InboundBody(BaseModel):
    account_id: str
    sender: str = Field(alias="from", min_length=1)
    name: str | None = None
    text: str | None = None
    from_me: bool = False
    attachments: list[AttachmentBody] = Field(default_factory=list)
    # Files from POST /_sandbox/uploads, received as attachments with their bytes.
    uploads: list[str] = Field(default_factory=list)


class ReceiptBody(BaseModel):
    event: Literal["delivered", "read"]


class ReactionBody(BaseModel):
    reaction: str = Field(min_length=1)
    from_me: bool = False


def _qr_identity(account_type: str, username: str | None) -> tuple[str, str, dict[str, str]]:
    """(name, user_id, connection_params.im) of the phone that scanned the QR code."""
    if account_type == "WHATSAPP":
        phone = username or f"+1555{secrets.randbelow(10**7):07d}"
        return phone, whatsapp_provider_id(phone), {"phone_number": phone}
    user_id = str(10**9 + secrets.randbelow(9 * 10**9))
    handle = (username or f"tg_user_{user_id[-6:]}").lstrip("@")
    return handle, user_id, {"user_id": user_id, "username": handle}


@router.post("/accounts/{account_id}/scan")
async def scan(
    account_id: str, body: ScanBody | None = None, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        intent = await live_intent(conn, state, account.id, control=True)
        if intent.kind != "QRCODE":
            raise SimError(409, "errors/checkpoint_error", "No QR code waiting for a scan")
        values: dict[str, object] = {}
        if intent.purpose == "create" or (body and body.username):
            try:
                name, user_id, im = _qr_identity(account.type, body.username if body else None)
            except ValueError:
                raise invalid("username must be a phone number for WhatsApp") from None
            values = {"name": name, "user_id": user_id, "im": im}
        await conn.execute(
            sa.update(t.intents).where(t.intents.c.id == intent.id).values(state="done")
        )
        if values:
            await conn.execute(
                sa.update(t.accounts).where(t.accounts.c.id == account.id).values(**values)
            )
        first = "CREATION_SUCCESS" if intent.purpose == "create" else "RECONNECTED"
        await connected(conn, state, account.id, first)
        return JSONResponse(render_account(await get_account(conn, account.id)))


@router.post("/accounts/{account_id}/fail")
async def fail(account_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        intent = await live_intent(conn, state, account.id, control=True)
        await conn.execute(
            sa.update(t.intents).where(t.intents.c.id == intent.id).values(state="failed")
        )
        await set_status(conn, state, account.id, "ERROR")
        return JSONResponse(render_account(await get_account(conn, account.id)))


@router.post("/accounts/{account_id}/approve")
async def approve(account_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    """The user approves the login in the provider's app (an IN_APP_VALIDATION checkpoint)."""
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        intent = await live_intent(conn, state, account.id, control=True)
        if intent.kind != "IN_APP_VALIDATION":
            raise SimError(409, "errors/checkpoint_error", "No login waiting for an approval")
        await conn.execute(
            sa.update(t.intents).where(t.intents.c.id == intent.id).values(state="done")
        )
        first = "CREATION_SUCCESS" if intent.purpose == "create" else "RECONNECTED"
        await connected(conn, state, account.id, first)
        return JSONResponse(render_account(await get_account(conn, account.id)))


@router.post("/accounts/{account_id}/status")
async def change_status(
    account_id: str, body: StatusBody, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        if body.status in SOURCE_STATUSES:
            await set_status(conn, state, account.id, body.status)
        elif body.status in WEBHOOK_ONLY:
            await emit_account_status(conn, state, account.id, account.type, body.status)
        else:
            raise invalid(f"Unknown status {body.status!r} (DELETED: delete the account)")
        return JSONResponse(render_account(await get_account(conn, account.id)))


async def _sender_id(conn: AsyncConnection, account: Any, sender: str) -> tuple[str, str | None]:
    """(attendee provider id, username) of whoever writes: a WhatsApp phone, or a Telegram or
    Instagram username, phone or internal id resolved like GET /users/{identifier}."""
    if account.type == "WHATSAPP":
        if "@" in sender:
            return sender, None
        try:
            return whatsapp_provider_id(sender), None
        except ValueError:
            raise invalid("from must be a phone number for WhatsApp") from None
    try:
        user = await resolve_user(conn, account.type, sender)
    except SimError:
        raise invalid(f"from: no {account.type} user {sender!r}") from None
    return user.messaging_id, user.username


# The fields each attachment type requires (SDK MessageAttachmentSchema).
_BY_TYPE: dict[str, dict[str, Any]] = {
    "img": {"size": {"width": 800, "height": 600}, "sticker": False},
    "video": {"size": {"width": 640, "height": 360}, "gif": False},
    "audio": {"voice_note": False},
    "file": {},
}


def _attachments(items: list[AttachmentBody]) -> list[dict[str, Any]]:
    rendered = []
    for item in items:
        attachment_id = new_id()
        extra = dict(_BY_TYPE[item.type])
        if item.type == "file":
            extra["file_name"] = item.file_name or "file"
        rendered.append(
            {
                "id": attachment_id,
                "type": item.type,
                "mimetype": item.mimetype,
                "unavailable": False,
                "url": f"att://{attachment_id}",
                **extra,
            }
        )
    return rendered


@router.post("/inbound")
async def inbound(body: InboundBody, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    if body.text is None and not body.attachments and not body.uploads:
        raise invalid("text, attachments or uploads is required")
    async with state.engine.begin() as conn:
        account = await get_account(conn, body.account_id)
        if account.status != "OK":
            raise SimError(409, "errors/disconnected_account", "The account is not connected")
        provider_id, username = await _sender_id(conn, account, body.sender)
        other = await attendee_for(conn, account, provider_id, body.name, username)
        chat_id = await chat_for(conn, account.id, other)
        sender = await self_attendee(conn, account.id) if body.from_me else other
        kept = await attachments.claim(conn, body.uploads)
        message_id = await add_message(
            conn,
            account,
            chat_id,
            sender,
            body.text,
            _attachments(body.attachments) + attachments.rendered(kept),
        )
        await attachments.assign(conn, message_id, body.uploads)
        await emit_message_event(conn, state, "message_received", message_id)
    result = {
        "message_id": message_id,
        "chat_id": chat_id,
        "attendee_id": other.id,
        "attendee_provider_id": provider_id,
    }
    return JSONResponse(result, status_code=201)


@router.post("/messages/{message_id}/receipt")
async def receipt(
    message_id: str, body: ReceiptBody, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    """Delivery only changes the message object (there is no message_delivered webhook); a
    read also emits message_read."""
    async with state.engine.begin() as conn:
        message = await get_message_row(conn, message_id)
        values: dict[str, object] = {"delivered": 1}
        if body.event == "read":
            seen_by = {message.chat_provider_id: iso_ms(message.timestamp_ms)}
            values.update(seen=1, seen_by={**message.seen_by, **seen_by})
        await conn.execute(
            sa.update(t.messages).where(t.messages.c.id == message_id).values(**values)
        )
        if body.event == "read":
            await emit_message_event(conn, state, "message_read", message_id)
        return JSONResponse(render_message(await get_message_row(conn, message_id)))


@router.post("/messages/{message_id}/reaction")
async def react(
    message_id: str, body: ReactionBody, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        message = await get_message_row(conn, message_id)
        chat = await get_chat_row(conn, message.chat_id)
        if body.from_me:
            reactor = await self_attendee(conn, message.account_id)
        else:
            reactor = await attendee_by_id(conn, chat.attendee_id)
        await emit_message_event(
            conn,
            state,
            "message_reaction",
            message_id,
            reaction=body.reaction,
            reactor_id=reactor.id,
        )
        return JSONResponse(render_message(await get_message_row(conn, message_id)))


@router.get("/sent")
async def sent(
    account_id: Annotated[list[str] | None, Query()] = None,
    state: SimulatorState = Depends(get_state),
) -> JSONResponse:
    stmt = sa.select(t.sent_log).order_by(t.sent_log.c.id.desc())
    if account_id:
        stmt = stmt.where(t.sent_log.c.account_id.in_(account_id))
    async with state.engine.begin() as conn:
        rows = (await conn.execute(stmt)).all()
        items = [
            {
                "account_id": row.account_id,
                "chat_id": row.chat_id,
                "attendee_provider_id": row.attendee_provider_id,
                "text": row.text,
                "message_id": row.message_id,
                "timestamp": iso_ms(row.timestamp_ms),
                "attachments": await sent_files(conn, row.message_id),
            }
            for row in rows
        ]
    return JSONResponse({"items": items})


@router.get("/deliveries")
async def deliveries(state: SimulatorState = Depends(get_state)) -> JSONResponse:
    """Webhook deliveries by state (pending, delivered, failed, dropped): a test waits for
    none pending, instead of for a while, before comparing what arrived."""
    stmt = sa.select(t.deliveries.c.state, sa.func.count()).group_by(t.deliveries.c.state)
    async with state.engine.begin() as conn:
        counts = {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}
    return JSONResponse(counts)


@router.post("/faults")
async def set_faults(body: Faults, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    """The calling tenant's faults (X-Sandbox-Tenant), or with no tenant the global ones."""
    tenant = current_tenant.get()
    if tenant is None:
        state.faults = body
    elif body == Faults():
        state.tenant_faults.pop(tenant, None)  # cleared: back to the global ones
    else:
        state.tenant_faults[tenant] = body
    return JSONResponse(body.model_dump())


@router.get("/faults")
async def get_faults(state: SimulatorState = Depends(get_state)) -> JSONResponse:
    return JSONResponse(state.faults_for().model_dump())
