"""Unipile v1 account routes: connect, checkpoints, read, delete, reconnect, restart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.accounts import (
    CODE_CHECKPOINTS,
    KNOWN_PROVIDERS,
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


@dataclass(frozen=True)
class Login:
    """What an Instagram login needs next: nothing, code rounds, or another checkpoint."""

    rounds: int = 0
    checkpoint: dict[str, Any] | None = None
    # Unipile answers only after the provider login, which can take tens of seconds.
    slow: bool = False


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _provider(body: ConnectBody) -> str:
    if body.provider not in KNOWN_PROVIDERS:
        raise invalid(f"Unknown provider {body.provider!r}")
    if body.provider not in PROVIDERS:
        raise SimError(501, "errors/feature_not_implemented", f"{body.provider} is not simulated")
    return body.provider


def _instagram_login(body: ConnectBody) -> Login:
    """Check the credentials (then forget the password); the scripted outcomes go by the
    username's prefix (see the module docstring of app.py)."""
    if not body.username or not body.password:
        raise missing("username and password are required for INSTAGRAM")
    name = body.username
    if body.password == WRONG_PASSWORD:
        raise SimError(401, "errors/invalid_credentials", "Invalid username or password")
    if name.startswith("captcha_"):
        raise SimError(401, "errors/captcha_not_supported", "Captcha resolution not supported")
    if name.startswith("busy_"):
        raise SimError(425, "errors/authentication_in_progress", "Authentication in progress")
    if name.startswith("inapp_"):
        return Login(checkpoint={"type": "IN_APP_VALIDATION"})
    if name.startswith("arkose_"):
        return Login(checkpoint={"type": "CAPTCHA", "public_key": "sim-arkose-key", "data": ""})
    rounds = 2 if name.startswith("2fa2_") else 1 if name.startswith("2fa_") else 0
    return Login(rounds=rounds, slow=name.startswith("slow_"))


async def _slow(state: SimulatorState, login: Login) -> None:
    if login.slow:
        await asyncio.sleep(state.config.slow_login_seconds)


async def _challenge(
    conn: AsyncConnection, account_id: str, login: Login, purpose: str
) -> JSONResponse | None:
    """The checkpoint answer an Instagram login needs, or None when it is complete."""
    if login.checkpoint is not None:
        kind = login.checkpoint["type"]
        answer = await open_intent(conn, account_id, kind, purpose, 1)
        answer["checkpoint"] = login.checkpoint
        return _json(answer, 202)
    if login.rounds:
        return _json(await open_intent(conn, account_id, "OTP", purpose, login.rounds), 202)
    return None


@router.post("")
async def connect(body: ConnectBody, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    provider = _provider(body)
    if provider in QR_PROVIDERS:
        async with state.engine.begin() as conn:
            account_id = await create_account(
                conn, type=provider, status="CONNECTING", country=body.country
            )
            state.claim(account_id)
            return _json(await open_intent(conn, account_id, "QRCODE", "create", 1), 202)
    login = _instagram_login(body)
    assert body.username is not None
    user_id = instagram_user_id(body.username)
    # Committed before the (possibly slow) login answers, as at Unipile: a caller that gives
    # up waiting leaves an account behind, listed with this username.
    async with state.engine.begin() as conn:
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
    await _slow(state, login)
    async with state.engine.begin() as conn:
        challenge = await _challenge(conn, account_id, login, "create")
        if challenge is not None:
            return challenge
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
    state.wake.set()  # the dispatcher's next look (after this commits) plans the promotion
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
        if body.provider != account.type:
            raise invalid("provider does not match the account")
        intent = await live_intent(conn, state, account.id)
        if intent.kind not in CODE_CHECKPOINTS:
            raise SimError(
                400, "errors/invalid_request", f"A {intent.kind} checkpoint is not solved by code"
            )
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
        if body.provider != account.type:
            raise invalid("provider does not match the account")
        intent = await live_intent(conn, state, account.id)
        if intent.kind not in CODE_CHECKPOINTS | {"IN_APP_VALIDATION"}:
            raise SimError(501, "errors/feature_not_implemented", "Nothing to resend")
    # Not a Checkpoint (correction 5); the intent's 5-minute window is not extended.
    return _json({"object": "CheckpointResend", "account_id": account.id})


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
    """Same account id, chats and webhooks; only the session is new."""
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        if body.provider != account.type:
            raise invalid("provider does not match the account")
        if account.type in QR_PROVIDERS:
            # Also the way to get a fresh QR code: the new intent supersedes the old one.
            return _json(await open_intent(conn, account.id, "QRCODE", "reconnect", 1), 202)
    login = _instagram_login(body)
    await _slow(state, login)
    async with state.engine.begin() as conn:
        challenge = await _challenge(conn, account_id, login, "reconnect")
        if challenge is not None:
            return challenge
        await connected(conn, state, account_id, "RECONNECTED")
    return _json({"object": "AccountReconnected", "account_id": account_id})


@router.post("/{account_id}/restart")
async def restart(account_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        # Only a stopped or crashed session can be restarted; bad credentials need a reconnect.
        if account.status in ("STOPPED", "ERROR"):
            await set_status(conn, state, account.id, "OK")
    return _json({"object": "AccountRestarted", "account_id": account_id})
