"""Unipile v1 ``GET /users/{identifier}``: a public identifier resolved to a user profile."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from skylight.integrations.unipile.simulator.accounts import get_account
from skylight.integrations.unipile.simulator.errors import SimError
from skylight.integrations.unipile.simulator.state import SimulatorState, get_state
from skylight.integrations.unipile.simulator.users import (
    DIRECTORY_PROVIDERS,
    render_profile,
    resolve,
    whatsapp_profile,
)

router = APIRouter(prefix="/api/v1/users")


@router.get("/{identifier}")
async def get_profile(
    identifier: str, account_id: str, state: SimulatorState = Depends(get_state)
) -> JSONResponse:
    async with state.engine.begin() as conn:
        account = await get_account(conn, account_id)
        if account.status != "OK":
            raise SimError(401, "errors/disconnected_account", "The account is not connected")
        if account.type == "WHATSAPP":
            return JSONResponse(whatsapp_profile(identifier))
        assert account.type in DIRECTORY_PROVIDERS
        user = await resolve(conn, account.type, identifier)
        return JSONResponse(render_profile(account.type, user))
