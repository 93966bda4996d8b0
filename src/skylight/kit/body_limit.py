"""Request bodies are bounded before anything reads them, so a huge body costs nothing.

A declared Content-Length over the limit is answered 413 at once, unread; a chunked body is
counted as it arrives and refused when it passes the limit. Paths can have their own limit (the
Unipile webhook's is tighter). The 413 is in the API's envelope."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skylight.kit.handlers import error_response


class BodyTooLarge(HTTPException):
    """Raised from `receive`: FastAPI lets an HTTPException through its body parsing, and the
    error handler renders it (413, in the envelope)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, default: int, by_path: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.default = default
        self.by_path = tuple(by_path)

    def limit_for(self, path: str) -> int:
        return next(
            (limit for prefix, limit in self.by_path if path.startswith(prefix)), self.default
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit, scope, receive, send)


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(
        413,
        "Request body too large.",
        errors={"body": [f"At most {limit} bytes on this path."]},
        headers={"Connection": "close"},
    )
    await response(scope, receive, send)
