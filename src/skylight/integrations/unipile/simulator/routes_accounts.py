"""Unipile v1 account routes: connect, checkpoints, read, delete, reconnect, restart."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.accounts import (
    PROVIDERS,
    QR_PROVIDERS,
    connected,
    create_account,
    get_account,
    instagram_user_id,
    live_intent,
    open_intent,
    promote_due,
    render_account,
    set_status,
)
from skylight.integrations.unipile.simulator.errors import SimError, invalid, missing
from skylight.integrations.unipile.simulator.events import emit_account_status
from skylight.integrations.unipile.simulator.listing import fetch_page, resolve_page
from skylight.integrations.unipile.simulator.state import SimulatorState, get_state
from skylight.integrations.unipile.simulator.wire import now_ms

router = APIRouter(prefix="/api/v1/accounts")
SOLUTION = "123456"
WRONG_PASSWORD = "wrong-password"  # noqa: S105 - the simulator's scripted failure


class ConnectBody(BaseModel):
    # Unipile accepts many provider-specific fields; unknown ones are ignored here.
    model_config = ConfigDict(extra="ignore")

    provider: str
    username: str | None = None
    password: str | None = None
    country: str | None = None


class CheckpointBody(BaseModel):
    account_id: str
    provider: str
    code: str | None = None


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _instagram_rounds(body: ConnectBody) -> int:
    """Check the credentials (then forget the password) and count the 2FA rounds needed."""
    if not body.username or not body.password:
        raise missing("username and password are required for INSTAGRAM")
    if body.password == WRONG_PASSWORD:
        raise SimError(401, "errors/invalid_credentials", "Invalid username or password")
    if body.username.startswith("2fa2_"):
        return 2
    return 1 if body.username.startswith("2fa_") else 0


@router.post("")
async def connect(body: ConnectBody, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    provider = body.provider.upper()
    if provider not in PROVIDERS:
        raise SimError(501, "errors/feature_not_implemented", f"{provider} is not simulated")
    rounds = _instagram_rounds(body) if provider == "INSTAGRAM" else 0
    async with state.engine.begin() as conn:
        if provider in QR_PROVIDERS:
            account_id = await create_account(
                conn, type=provider, status="CONNECTING", country=body.country
            )
            state.claim(account_id)
            return _json(await open_intent(conn, account_id, "QRCODE", "create", 1), 202)
        assert body.username is not None
        user_id = instagram_user_id(body.username)
        account_id = await create_account(
            conn,
            type=provider,
            name=body.username,
            status="CONNECTING",
            im={"id": user_id, "username": body.username},
            user_id=user_id,
            country=body.country,
        )
        state.claim(account_id)
        if rounds:
            return _json(await open_intent(conn, account_id, "OTP", "create", rounds), 202)
        await connected(conn, state, account_id, "CREATION_SUCCESS")
    return _json({"object": "AccountCreated", "account_id": account_id}, 201)


async def _solved(
    conn: AsyncConnection, state: SimulatorState, account_id: str, purpose: str
) -> JSONResponse:
    account = await get_account(conn, account_id)
    first_event = "CREATION_SUCCESS" if purpose == "create" else "RECONNECTED"
    await emit_account_status(conn, state, account_id, account.type, first_event)
    # The account only turns OK once the provider session is up (connect_delay_seconds).
    ok_at = now_ms() + int(state.config.connect_delay_seconds * 1000)
    await conn.execute(
        sa.update(t.accounts)
        .where(t.accounts.c.id == account_id)
        .values(status="CONNECTING", ok_at_ms=ok_at, ok_event=first_event)
    )
    if state.config.connect_delay_seconds <= 0:
        await promote_due(conn, state)
    if purpose == "create":
        return _json({"object": "AccountCreated", "account_id": account_id}, 201)
    return _json({"object": "AccountReconnected", "account_id": account_id})


@router.post("/checkpoint")
async def solve_checkpoint(
    body: CheckpointBody, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, body.account_id)
        if body.provider.upper() != account.type:
            raise invalid("provider does not match the account")
        intent = await live_intent(conn, state, account.id)
        if intent.kind == "QRCODE":
            raise SimError(400, "errors/invalid_request", "A QR code is solved by scanning it")
        if body.code is None:
            raise missing("code is required")
        if body.code != SOLUTION:
            raise SimError(401, "errors/invalid_checkpoint_solution", "Invalid checkpoint code")
        rounds_left = intent.rounds_left - 1
        done = rounds_left == 0
        await conn.execute(
            sa.update(t.intents)
            .where(t.intents.c.id == intent.id)
            .values(rounds_left=rounds_left, state="done" if done else "open")
        )
        if not done:
            body_out = {
                "object": "Checkpoint",
                "account_id": account.id,
                "checkpoint": {"type": "OTP"},
            }
            return _json(body_out, 202)
        return await _solved(conn, state, account.id, intent.purpose)


@router.post("/checkpoint/resend")
async def resend_checkpoint(
    body: CheckpointBody, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, body.account_id)
        intent = await live_intent(conn, state, account.id)
        if intent.kind == "QRCODE":
            raise SimError(501, "errors/feature_not_implemented", "Nothing to resend for a QR code")
    # Decision: the same checkpoint again, 200; the intent's 5-minute window is not extended.
    return _json({"object": "Checkpoint", "account_id": account.id, "checkpoint": {"type": "OTP"}})


@router.get("")
async def list_accounts(
    limit: int | None = None, cursor: str | None = None, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    page = resolve_page(cursor, limit, {})
    async with state.engine.begin() as conn:
        await promote_due(conn, state)
        stmt = sa.select(t.accounts)
        rows, next_cursor = await fetch_page(
            conn, stmt, t.accounts.c.created_ms, t.accounts.c.id, page
        )
    items = [render_account(row) for row in rows]
    return _json({"object": "AccountList", "items": items, "cursor": next_cursor})


@router.get("/{account_id}")
async def read_account(account_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    async with state.engine.begin() as conn:
        await promote_due(conn, state)
        return _json(render_account(await get_account(conn, account_id)))


@router.delete("/{account_id}")
async def delete_account(
    account_id: str, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        await emit_account_status(conn, state, account.id, account.type, "DELETED")
        for table in (t.intents, t.attendees, t.chats, t.messages):
            await conn.execute(sa.delete(table).where(table.c.account_id == account.id))
        await conn.execute(sa.delete(t.accounts).where(t.accounts.c.id == account.id))
    return _json({"object": "AccountDeleted"})


@router.post("/{account_id}")
async def reconnect(
    account_id: str, body: ConnectBody, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        if body.provider.upper() != account.type:
            raise invalid("provider does not match the account")
        if account.type in QR_PROVIDERS:
            # Also the way to get a fresh QR code: the new intent supersedes the old one.
            return _json(await open_intent(conn, account.id, "QRCODE", "reconnect", 1), 202)
        rounds = _instagram_rounds(body)
        if rounds:
            return _json(await open_intent(conn, account.id, "OTP", "reconnect", rounds), 202)
        await connected(conn, state, account.id, "RECONNECTED")
    return _json({"object": "AccountReconnected", "account_id": account_id})


@router.post("/{account_id}/restart")
async def restart(account_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        # Only a stopped or crashed session can be restarted; bad credentials need a reconnect.
        if account.status in ("STOPPED", "ERROR"):
            await set_status(conn, state, account.id, "OK")
    return _json({"object": "AccountRestarted", "account_id": account_id})
