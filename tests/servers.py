"""Run an ASGI app on a real loopback port inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from skylight.upstream import EmbeddedServer


@asynccontextmanager
async def serve_in_loop(app: ASGIApp, port: int) -> AsyncIterator[uvicorn.Server]:
    server: uvicorn.Server = EmbeddedServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        await task
