"""Adds the RateLimit-* headers of the budget the request spent, on success and error alike."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skylight.ratelimit.dependencies import STATE_KEY
from skylight.ratelimit.limiter import Quota


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                quota = scope.get("state", {}).get(STATE_KEY)
                if isinstance(quota, Quota):
                    headers = MutableHeaders(scope=message)
                    for name, value in quota.headers().items():
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
