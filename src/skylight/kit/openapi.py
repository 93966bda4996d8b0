"""The error answers every /api/v1 operation can give, declared once so the OpenAPI document
lists them (all in the envelope, see kit.handlers). Routes add their own (409, 502, ...)."""

from __future__ import annotations

from typing import Any

from skylight.kit.envelope import ErrorResponse


def error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error("Malformed JSON body"),
    401: error("Missing, unknown or revoked API key"),
    404: error("No such resource in this workspace, or no such route"),
    422: error("Invalid input, with a message per field"),
    429: error("Too many requests: retry after Retry-After seconds"),
}

CONFLICT: dict[int | str, dict[str, Any]] = {409: error("Conflicts with existing data")}
