"""ASGI middleware in front of every route: API key check, then injected latency and errors.

Faults hit only Unipile's own routes (``/api/v1``), never the ``/_sandbox`` control routes, and
they strike before the route runs, so a failed call never changed any state. A request naming a
tenant (``X-Sandbox-Tenant``) gets that tenant's faults only.
"""

from __future__ import annotations

import asyncio
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from skylight.integrations.unipile.simulator.errors import error_response
from skylight.integrations.unipile.simulator.state import (
    TENANT_HEADER,
    SimulatorState,
    current_tenant,
)

API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_sandbox"


class SimulatorGate:
    def __init__(self, app: ASGIApp, state: SimulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = dict(scope["headers"])
        key = headers.get(b"x-api-key")
        # A missing or wrong key is errors/missing_credentials: Unipile keeps
        # errors/invalid_credentials for the provider's credentials (a wrong password).
        if key is None or not secrets.compare_digest(key, self.state.config.api_key.encode()):
            detail = "Missing API key" if key is None else "Invalid API key"
            response = error_response(401, "errors/missing_credentials", detail, path)
            await response(scope, receive, send)
            return
        tenant = headers.get(TENANT_HEADER.lower().encode())
        token = current_tenant.set(tenant.decode("latin-1") if tenant else None)
        try:
            await self._gated(path, scope, receive, send)
        finally:
            current_tenant.reset(token)

    async def _gated(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        if path.startswith(API_PREFIX):
            faults = self.state.faults_for()
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if self.state.chance(faults.error_rate):
                if self.state.rng.random() < 0.5:
                    response = error_response(
                        503, "errors/service_unavailable", "Service unavailable", path
                    )
                else:
                    response = error_response(
                        500, "errors/unexpected_error", "An unexpected error occurred", path
                    )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
