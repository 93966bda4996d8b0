"""Accounts and authentication intents in the simulator's store."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.errors import SimError, not_found
from skylight.integrations.unipile.simulator.events import emit_account_status
from skylight.integrations.unipile.simulator.state import SimulatorState
from skylight.integrations.unipile.simulator.wire import iso_ms, new_id, now_ms

QR_PROVIDERS = frozenset({"WHATSAPP", "TELEGRAM"})
PROVIDERS = frozenset({"WHATSAPP", "TELEGRAM", "INSTAGRAM"})
# Checkpoints solved with a code through POST /accounts/checkpoint.
CODE_CHECKPOINTS = frozenset({"OTP", "2FA", "PHONE_REGISTER"})
# Every provider POST /accounts knows (SDK accounts-create.types.js); others are a 400.
KNOWN_PROVIDERS = PROVIDERS | {
    "LINKEDIN",
    "MESSENGER",
    "TWITTER",
    "MAIL",
    "GOOGLE_OAUTH",
    "OUTLOOK",
}
# A pending account still carries its type's connection_params.im fields (the SDK requires
# them): empty until the QR code is scanned.
PENDING_IM = {
    "WHATSAPP": {"phone_number": ""},
    "TELEGRAM": {"user_id": "", "username": ""},
    "INSTAGRAM": {"id": "", "username": ""},
}


def render_account(row: Any) -> dict[str, Any]:
    account: dict[str, Any] = {
        "object": "Account",
        "type": row.type,
        "id": row.id,
        "name": row.name,
        "created_at": iso_ms(row.created_ms),
        "connection_params": {"im": {**PENDING_IM.get(row.type, {}), **row.im}},
        "groups": [],
        "sources": [{"id": f"{row.id}_MESSAGING", "status": row.status}],
    }
    if row.country:
        account["country"] = row.country
    return account


def qrcode_for(provider: str) -> str:
    if provider == "WHATSAPP":
        # WhatsApp multi-device pairing: "2@<ref>,<noise key>,<identity key>,<adv secret>".
        parts = [base64.b64encode(secrets.token_bytes(n)).decode() for n in (48, 32, 32, 32)]
        return "2@" + ",".join(parts)
    token = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"tg://login?token={token}"


def instagram_user_id(username: str) -> str:
    # Stable numeric id per username, like Instagram's pk.
    return str(int(hashlib.sha256(username.encode()).hexdigest()[:12], 16) % 10**11)


async def get_account(conn: AsyncConnection, account_id: str) -> sa.Row[Any]:
    row = (
        await conn.execute(sa.select(t.accounts).where(t.accounts.c.id == account_id))
    ).one_or_none()
    if row is None:
        raise not_found("Account")
    return row


async def create_account(conn: AsyncConnection, **values: Any) -> str:
    account_id = new_id()
    values.setdefault("name", account_id)
    values.setdefault("im", dict(PENDING_IM[values["type"]]))
    await conn.execute(sa.insert(t.accounts).values(id=account_id, created_ms=now_ms(), **values))
    return account_id


async def open_intent(
    conn: AsyncConnection, account_id: str, kind: str, purpose: str, rounds: int
) -> dict[str, Any]:
    """A new authentication intent; any open one of the account is superseded by it."""
    await conn.execute(
        sa.update(t.intents)
        .where(t.intents.c.account_id == account_id, t.intents.c.state == "open")
        .values(state="superseded")
    )
    account = await get_account(conn, account_id)
    qrcode = qrcode_for(account.type) if kind == "QRCODE" else None
    await conn.execute(
        sa.insert(t.intents).values(
            id=new_id(),
            account_id=account_id,
            kind=kind,
            purpose=purpose,
            rounds_left=rounds,
            qrcode=qrcode,
            created_ms=now_ms(),
            state="open",
        )
    )
    detail: dict[str, Any] = {"type": kind}
    if qrcode is not None:
        detail["qrcode"] = qrcode
    return {"object": "Checkpoint", "account_id": account_id, "checkpoint": detail}


async def live_intent(
    conn: AsyncConnection, state: SimulatorState, account_id: str, *, control: bool = False
) -> sa.Row[Any]:
    """The open intent of the account. Through the API: 401 when there is none, 500
    ``errors/authentication_intent_error`` once it expired (start again); the control routes
    answer 409 to both."""
    intent = (
        await conn.execute(
            sa.select(t.intents).where(
                t.intents.c.account_id == account_id, t.intents.c.state == "open"
            )
        )
    ).one_or_none()
    if intent is None:
        status = 409 if control else 401
        raise SimError(status, "errors/checkpoint_error", "No authentication in progress")
    if now_ms() - intent.created_ms > state.config.checkpoint_ttl_seconds * 1000:
        if control:
            raise SimError(409, "errors/checkpoint_error", "Authentication intent expired")
        raise SimError(
            500,
            "errors/authentication_intent_error",
            "The authentication intent expired or was killed; start the authentication again",
        )
    return intent


async def set_status(
    conn: AsyncConnection, state: SimulatorState, account_id: str, status: str, **values: Any
) -> None:
    """Change the source status and tell account_status webhooks."""
    account = await get_account(conn, account_id)
    await conn.execute(
        sa.update(t.accounts).where(t.accounts.c.id == account_id).values(status=status, **values)
    )
    await emit_account_status(conn, state, account_id, account.type, status)


async def ensure_self_attendee(conn: AsyncConnection, account_id: str) -> None:
    account = await get_account(conn, account_id)
    exists = (
        await conn.execute(
            sa.select(t.attendees.c.id).where(
                t.attendees.c.account_id == account_id, t.attendees.c.is_self == 1
            )
        )
    ).first()
    if exists is None and account.user_id:
        await conn.execute(
            sa.insert(t.attendees).values(
                id=new_id(),
                account_id=account_id,
                provider_id=account.user_id,
                name=account.name,
                is_self=1,
            )
        )


async def connected(
    conn: AsyncConnection, state: SimulatorState, account_id: str, first_event: str
) -> None:
    """The login completed: CREATION_SUCCESS|RECONNECTED, OK, then SYNC_SUCCESS on creation."""
    account = await get_account(conn, account_id)
    await ensure_self_attendee(conn, account_id)
    await emit_account_status(conn, state, account_id, account.type, first_event)
    await set_status(conn, state, account_id, "OK", ok_at_ms=None, ok_event=None)
    if first_event == "CREATION_SUCCESS":
        await emit_account_status(conn, state, account_id, account.type, "SYNC_SUCCESS")


async def promote_due(conn: AsyncConnection, state: SimulatorState) -> None:
    """CONNECTING accounts whose connect delay is over become OK (after a 2FA solve)."""
    due = (
        await conn.execute(
            sa.select(t.accounts.c.id, t.accounts.c.type, t.accounts.c.ok_event).where(
                t.accounts.c.ok_at_ms.is_not(None), t.accounts.c.ok_at_ms <= now_ms()
            )
        )
    ).all()
    for row in due:
        await ensure_self_attendee(conn, row.id)
        await set_status(conn, state, row.id, "OK", ok_at_ms=None, ok_event=None)
        if row.ok_event == "CREATION_SUCCESS":
            await emit_account_status(conn, state, row.id, row.type, "SYNC_SUCCESS")
