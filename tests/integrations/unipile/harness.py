"""Real loopback servers for the Unipile tests: the simulator and a webhook receiver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The test process keeps its own signal handlers.
        yield


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in the running loop; yield its URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        log_level="warning",
        ws="none",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped during startup")
        if time.monotonic() > deadline:
            raise TimeoutError("server did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records every POST; answers 500 to the first ``fail_first`` of them."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    attempts: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"]
                if kind == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.attempts += 1
        status = 500 if self.attempts <= self.fail_first else 200
        if status == 200:
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            self.received.append(Received(scope["path"], headers, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def payloads(self, path: str | None = None) -> list[Any]:
        return [r.json() for r in self.received if path is None or r.path == path]

    async def wait_for(
        self, predicate: Callable[[list[Received]], bool], within: float = 5.0
    ) -> list[Received]:
        deadline = time.monotonic() + within
        while not predicate(self.received):
            if time.monotonic() > deadline:
                raise AssertionError(f"webhooks not received in time: {self.payloads()}")
            await asyncio.sleep(0.02)
        return self.received

    async def wait_attempts(self, n: int, within: float = 5.0) -> None:
        """Until ``n`` POSTs arrived, answered with success or not."""
        deadline = time.monotonic() + within
        while self.attempts < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.attempts} webhook attempts")
            await asyncio.sleep(0.01)


@dataclass
class ScriptedUpstream:
    """Answers each request with the next scripted (status, headers, body); repeats the last."""

    script: list[tuple[int, dict[str, str], bytes]]
    hits: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await WebhookReceiver()(scope, receive, send)
            return
        status, headers, body = self.script[min(self.hits, len(self.script) - 1)]
        self.hits += 1
        raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
