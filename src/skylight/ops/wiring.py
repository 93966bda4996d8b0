"""What operations add to the app: middleware and routes at creation, state in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from skylight.integrations.unipile.client import UnipileClient
from skylight.kit.db import Database
from skylight.kit.logging import AccessLogMiddleware
from skylight.kit.settings import Settings
from skylight.ops.health import ReadinessProbe
from skylight.ops.metrics import MetricsMiddleware, install_unipile_observer
from skylight.ratelimit.limiter import open_rate_limiter
from skylight.ratelimit.middleware import RateLimitHeadersMiddleware


def install_ops(app: FastAPI) -> None:
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(MetricsMiddleware)
    # Outermost, so its line covers everything, errors included.
    app.add_middleware(AccessLogMiddleware)


@asynccontextmanager
async def ops_running(
    app: FastAPI, settings: Settings, db: Database, unipile: UnipileClient
) -> AsyncIterator[None]:
    install_unipile_observer()
    async with open_rate_limiter(settings) as limiter:
        app.state.rate_limiter = limiter
        app.state.readiness = ReadinessProbe(db, unipile, settings)
        yield
