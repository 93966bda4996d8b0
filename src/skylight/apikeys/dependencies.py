"""Authentication of every /api/v1 route: `Authorization: Bearer <key>` or `X-Api-Key: <key>`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from skylight.apikeys.service import Caller, identify
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
    # A read of its own (or none: known keys are remembered briefly), closed before the
    # endpoint runs, so the request never holds a transaction it does not need.
    try:
        caller = await identify(
            db, secret, settings.key_mode, cache_seconds=settings.api_key_cache_seconds
        )
    except Unauthorized:
        # Wrong and missing keys alike: every unauthenticated request spends the IP's budget.
        await spend_failed_auth_quota(request)
        raise
    request.state.workspace_id = caller.workspace_id
    workspace_id_var.set(caller.workspace_id)
    await spend_key_quota(request, caller.api_key_id)
    return caller


CurrentCaller = Annotated[Caller, Depends(_caller)]
