"""Unauthenticated probes and the token-protected metrics scrape; outside /api/v1."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.envelope import DataResponse
from skylight.kit.errors import NotFound, Unauthorized
from skylight.ops.health import NotReady, ReadinessProbe
from skylight.ops.metrics import render

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> DataResponse[dict[str, str]]:
    """The process is alive and its event loop answers; no I/O."""
    return DataResponse(data={"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> DataResponse[dict[str, Any]]:
    probe: ReadinessProbe = request.app.state.readiness
    readiness = await probe.check(getattr(request.app.state, "reports", None))
    if not readiness.ready:
        down = ", ".join(readiness.problems)
        raise NotReady(f"Not ready: {down}.", errors=readiness.problems, data=readiness.data)
    return DataResponse(data=readiness.data)


@router.get("/metrics")
async def metrics(request: Request, settings: AppSettings, db: Db) -> Response:
    if settings.metrics_token is None:
        raise NotFound("Not found.")
    _authorize_scrape(settings.metrics_token.get_secret_value(), request)
    probe: ReadinessProbe = request.app.state.readiness
    body = await render(settings, db, probe.loop_health())
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _authorize_scrape(token: str, request: Request) -> None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        headers: dict[str, Any] = {"WWW-Authenticate": "Bearer"}
        raise Unauthorized(
            "Send the metrics token as 'Authorization: Bearer <SKYLIGHT_METRICS_TOKEN>'.",
            headers=headers,
        )
