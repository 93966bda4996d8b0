"""Authentication of every /api/v1 route: `Authorization: Bearer <key>` or `X-Api-Key: <key>`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from skylight.apikeys.service import Caller, authenticate
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.errors import Unauthorized
from skylight.kit.logging import workspace_id_var
from skylight.ratelimit.dependencies import spend_failed_auth_quota, spend_key_quota

# auto_error=False: a missing key is our 401 in our envelope, not the framework's 403.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer sk_...")
_header = APIKeyHeader(name="X-Api-Key", auto_error=False, description="X-Api-Key: sk_...")


async def _caller(
    request: Request,
    db: Db,
    settings: AppSettings,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Caller:
    secret = header_key or (bearer.credentials if bearer else None)
    # A transaction of its own, closed before the endpoint runs: on SQLite an open one would
    # hold the write lock for the whole request and block the endpoint's own transactions.
    try:
        async with db.transaction() as session:
            caller = await authenticate(session, secret, settings.key_mode)
    except Unauthorized:
        # Wrong and missing keys alike: every unauthenticated request spends the IP's budget.
        await spend_failed_auth_quota(request)
        raise
    request.state.workspace_id = caller.workspace_id
    workspace_id_var.set(caller.workspace_id)
    await spend_key_quota(request, caller.api_key_id)
    return caller


CurrentCaller = Annotated[Caller, Depends(_caller)]
