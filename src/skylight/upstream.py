"""Unipile for this process: the real client, pointed at Unipile or at a simulator.

With no SKYLIGHT_UNIPILE_DSN the simulator runs embedded, as a second HTTP server on a
loopback port inside this process, so the client code path is the same real HTTP as in
production."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.simulator.app import create_simulator_app
from skylight.integrations.unipile.simulator.config import SimulatorConfig
from skylight.integrations.unipile.simulator.control import SimulatorControl
from skylight.kit.files import private_directory
from skylight.kit.settings import Settings
from skylight.kit.tls import client_tls
from skylight.sandbox.tenancy import tag_with_tenant


@dataclass(frozen=True)
class Upstream:
    unipile: UnipileClient
    # The simulator's control routes; None when talking to the real Unipile.
    control: SimulatorControl | None
    dsn: str


class EmbeddedServer(uvicorn.Server):
    # The outer server owns SIGINT/SIGTERM; it stops us through its lifespan.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


# Set in the embedded simulator's server task: uvicorn logs its start and stop lines to the same
# logger for every server in the process, and the outer server's are the ones that matter.
_inside_embedded = ContextVar("skylight_inside_embedded_server", default=False)


class _QuietEmbeddedServer(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not _inside_embedded.get()


_quiet = _QuietEmbeddedServer()


@asynccontextmanager
async def embedded_simulator(settings: Settings, api_key: str) -> AsyncIterator[str]:
    config = SimulatorConfig(
        api_key=api_key,
        db_path=Path(settings.data_dir) / "unipile-simulator.db",
        connect_delay_seconds=settings.simulator_connect_delay_seconds,
        webhook_retry_base_seconds=settings.simulator_webhook_retry_base_seconds,
    )
    private_directory(config.db_path.parent)
    server = EmbeddedServer(
        uvicorn.Config(
            create_simulator_app(config),
            host="127.0.0.1",
            port=settings.simulator_port,
            # Leave logging alone: the server's config (uvicorn.* loggers included) stays in charge.
            log_config=None,
            log_level=None,
            access_log=False,
            lifespan="on",
        )
    )
    logging.getLogger("uvicorn.error").addFilter(_quiet)  # idempotent
    context = contextvars.copy_context()
    context.run(_inside_embedded.set, True)
    task = asyncio.create_task(server.serve(), context=context)
    while not server.started:
        if task.done():
            task.result()  # re-raise why it could not start
            raise RuntimeError("the embedded Unipile simulator stopped during start-up")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def connect_upstream(settings: Settings) -> AsyncIterator[Upstream]:
    async with contextlib.AsyncExitStack() as stack:
        if settings.embedded_simulator:
            api_key = secrets.token_urlsafe(24)
            dsn = await stack.enter_async_context(embedded_simulator(settings, api_key))
        else:
            assert settings.unipile_dsn is not None
            if settings.unipile_api_key is None:
                raise RuntimeError("SKYLIGHT_UNIPILE_API_KEY is required with a Unipile DSN")
            dsn, api_key = settings.unipile_dsn, settings.unipile_api_key.get_secret_value()
        http = None
        if settings.sandbox:
            # The client's usual configuration, plus the workspace each call is for: one
            # workspace's injected faults never touch another's calls (sandbox.tenancy).
            timeout = settings.unipile_timeout_seconds
            http = httpx.AsyncClient(
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                # Kept alive, all of them: under load a closed one is a new TCP (and TLS) handshake.
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=50),
                event_hooks={"request": [tag_with_tenant]},
                verify=client_tls(),
            )
            stack.push_async_callback(http.aclose)
        client = UnipileClient(
            dsn,
            api_key,
            timeout=settings.unipile_timeout_seconds,
            auth_timeout=settings.unipile_auth_timeout_seconds,
            max_retries=settings.unipile_max_retries,
            http=http,
        )
        stack.push_async_callback(client.aclose)
        control = None
        if settings.sandbox:
            control = SimulatorControl(dsn, api_key, http=http)
            stack.push_async_callback(control.aclose)
        yield Upstream(unipile=client, control=control, dsn=dsn)
