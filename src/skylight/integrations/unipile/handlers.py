"""How Unipile failures that no service turned into something more specific reach our API's
callers: in the envelope, as 502 or 503."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from skylight.integrations.unipile.errors import (
    UnipileApiKeyRejected,
    UnipileError,
    UnipileRateLimited,
    UnipileTimeout,
    UnipileUnreachable,
)
from skylight.kit.handlers import error_response


async def _upstream_error(_request: Request, exc: Exception) -> JSONResponse:
    """Unipile failures no service turned into something more specific."""
    assert isinstance(exc, UnipileError)
    reason = exc.detail or exc.title or exc.type or "no details"
    if isinstance(exc, UnipileTimeout | UnipileUnreachable):
        return error_response(503, "Unipile could not be reached in time. Try again shortly.")
    if isinstance(exc, UnipileApiKeyRejected):
        return error_response(
            502,
            "Unipile refused this server's API key (SKYLIGHT_UNIPILE_API_KEY): the operator "
            "must fix the configuration.",
            data={"upstream_status": exc.status, "upstream_type": exc.type},
        )
    if isinstance(exc, UnipileRateLimited):
        retry = str(int(exc.retry_after)) if exc.retry_after else "30"
        return error_response(
            503,
            "Unipile is rate limiting this account. Try again later.",
            headers={"Retry-After": retry},
        )
    return error_response(
        502,
        f"Unipile failed: {reason}",
        data={"upstream_status": exc.status, "upstream_type": exc.type},
    )


def install_unipile_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(UnipileError, _upstream_error)
