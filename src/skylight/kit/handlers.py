"""The one place where errors become HTTP responses, always in the envelope."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from skylight.kit.envelope import ErrorResponse
from skylight.kit.errors import SkylightError
from skylight.kit.request_id import HEADER as REQUEST_ID_HEADER

logger = logging.getLogger("skylight.errors")

_LOCATIONS = {"body", "query", "path", "header", "cookie"}

_STATUS_MESSAGES = {
    400: "Bad request.",
    401: "Unauthenticated.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    415: "Unsupported media type.",
}


def error_response(
    status_code: int,
    message: str,
    *,
    errors: dict[str, list[str]] | None = None,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(message=message, errors=errors, data=data)
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status_code, headers=headers
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _skylight_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SkylightError)
    return error_response(
        exc.status_code, exc.message, errors=exc.errors, data=exc.data, headers=exc.headers
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        return error_response(
            400, "Malformed JSON body.", errors={"body": ["The body is not valid JSON."]}
        )
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(_field_name(tuple(problem.get("loc", ()))), []).append(
            str(problem.get("msg", "Invalid value."))
        )
    return error_response(422, "The given data was invalid.", errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = _STATUS_MESSAGES.get(exc.status_code) or str(exc.detail)
    return error_response(exc.status_code, message, headers=dict(exc.headers or {}))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Runs outside the request-id middleware, so the header is set here.
    request_id = getattr(request.state, "request_id", "")
    logger.exception("unhandled error", extra={"request_id": request_id})
    return error_response(
        500,
        "Something went wrong on our side. Quote the X-Request-Id when you report it.",
        headers={REQUEST_ID_HEADER: request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SkylightError, _skylight_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
