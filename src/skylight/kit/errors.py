"""Typed domain errors. Each carries its HTTP status and a stable code; one handler renders them."""

from __future__ import annotations

from typing import Any, ClassVar


class SkylightError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.data = data
        self.headers = headers


class BadRequest(SkylightError):
    status_code = 400
    code = "bad_request"


class Unauthorized(SkylightError):
    status_code = 401
    code = "unauthorized"


class NotFound(SkylightError):
    status_code = 404
    code = "not_found"


class Conflict(SkylightError):
    status_code = 409
    code = "conflict"


class MethodNotAllowed(SkylightError):
    status_code = 405
    code = "method_not_allowed"


class UnsupportedMediaType(SkylightError):
    status_code = 415
    code = "unsupported_media_type"


class Unprocessable(SkylightError):
    status_code = 422
    code = "unprocessable"


class UpstreamFailed(SkylightError):
    """Unipile answered with an error or garbage."""

    status_code = 502
    code = "upstream_failed"


class UpstreamUnavailable(SkylightError):
    """Unipile could not be reached or timed out."""

    status_code = 503
    code = "upstream_unavailable"


def field_error(field: str, message: str) -> dict[str, list[str]]:
    return {field: [message]}


class Gone(SkylightError):
    """It existed, and cannot be had any more (e.g. a file Unipile no longer has)."""

    status_code = 410
    code = "gone"


class ContentTooLarge(SkylightError):
    """A file (or body) over a limit; the message names the limit."""

    status_code = 413
    code = "content_too_large"
