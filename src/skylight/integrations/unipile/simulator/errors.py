"""Unipile-shaped errors: ``{status, type, title, detail, instance}`` with JSON content-type."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class SimError(Exception):
    def __init__(self, status: int, error_type: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error_type = error_type
        self.detail = detail


def error_response(status: int, error_type: str, detail: str, instance: str) -> JSONResponse:
    body = {
        "status": status,
        "type": error_type,
        "title": HTTPStatus(status).phrase,
        "detail": detail,
        "instance": instance,
    }
    return JSONResponse(body, status_code=status)


def not_found(what: str) -> SimError:
    return SimError(404, "errors/resource_not_found", f"{what} not found")


def invalid(detail: str) -> SimError:
    return SimError(400, "errors/invalid_parameters", detail)


def missing(detail: str) -> SimError:
    return SimError(400, "errors/missing_parameters", detail)


async def handle_sim_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SimError)
    return error_response(exc.status, exc.error_type, exc.detail, request.url.path)


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_type = {
        404: "errors/resource_not_found",
        405: "errors/invalid_request",
    }.get(exc.status_code, "errors/invalid_request")
    detail = str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, error_type, detail, request.url.path)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    missing_fields = [".".join(map(str, e["loc"][1:])) for e in errors if e["type"] == "missing"]
    if missing_fields:
        return error_response(
            400,
            "errors/missing_parameters",
            f"Missing: {', '.join(missing_fields)}",
            request.url.path,
        )
    where = ", ".join(".".join(map(str, e["loc"][1:])) for e in errors)
    return error_response(400, "errors/invalid_parameters", f"Invalid: {where}", request.url.path)
