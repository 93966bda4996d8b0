from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from skylight.apikeys.service import create_key
from skylight.cli.common import cli_settings, console, err_console, unit_of_work
from skylight.kit.db import create_engine
from skylight.kit.logging import logging_config
from skylight.kit.migrations import upgrade
from skylight.kit.settings import Settings
from skylight.users.service import first_login
from skylight.workspaces.service import create_workspace, get_by_slug, list_workspaces

DEFAULT_WORKSPACE = "default"


async def migrate_database(settings: Settings) -> None:
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def bootstrap(settings: Settings) -> str | None:
    """On an empty database, create the default workspace and a key; return the key."""
    async with unit_of_work() as session:
        if await list_workspaces(session):
            return None
        workspace = await create_workspace(session, "Default", slug=DEFAULT_WORKSPACE)
        created = await create_key(session, workspace, "Default key", settings.key_mode)
        return created.secret


async def bootstrap_login() -> tuple[str, str] | None:
    """A dashboard login for the default workspace while it has none: (email, password)."""
    async with unit_of_work() as session:
        workspaces = {w.slug for w in await list_workspaces(session)}
        if DEFAULT_WORKSPACE not in workspaces:
            return None
        return await first_login(session, await get_by_slug(session, DEFAULT_WORKSPACE))


def _banner(
    settings: Settings,
    host: str,
    port: int,
    key: str | None,
    login: tuple[str, str] | None = None,
) -> None:
    base = f"http://{host}:{port}"
    mode = "sandbox (embedded Unipile simulator)" if settings.sandbox else settings.unipile_dsn
    console.rule("[bold]SkyLight Chat")
    console.print(f"API        {base}/api/v1   docs: {base}/docs")
    console.print(f"Unipile    {mode}")
    console.print(f"Database   {settings.resolved_database_url}")
    if key:
        console.print(
            f"API key    [bold green]{key}[/bold green]  (shown once; stored only hashed)"
        )
        console.print(f'Try it     curl -H "Authorization: Bearer {key}" {base}/api/v1/contacts')
    else:
        console.print(
            "API key    the default workspace exists already; make a new key with\n"
            f"           skylight keys create --workspace {DEFAULT_WORKSPACE} --name dev"
        )
    console.print(f"Dashboard  {base}/dashboard")
    if login:
        console.print(
            f"Sign in    [bold green]{login[0]}[/bold green]  password "
            f"[bold green]{login[1]}[/bold green]  (shown once)"
        )
    console.rule()


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations first.")] = True,
    bootstrap_default: Annotated[
        bool,
        typer.Option(
            "--bootstrap/--no-bootstrap",
            help="On an empty database, create a default workspace and print a key.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes sharing the port. More than one needs SKYLIGHT_UNIPILE_DSN.",
        ),
    ] = 1,
) -> None:
    """Run the API server."""
    settings = cli_settings()
    host = host or settings.host
    port = port or settings.port
    # Unipile's webhooks go to the public URL, which defaults to host:port: the bound ones.
    settings = settings.model_copy(update={"host": host, "port": port})
    if workers > 1 and settings.embedded_simulator:
        # Each process would start its own simulator, each with its own accounts.
        err_console.print(
            "[red]--workers needs one Unipile for every process: set SKYLIGHT_UNIPILE_DSN "
            "(for the sandbox: SKYLIGHT_SANDBOX=true and the DSN of `skylight simulator`).[/red]"
        )
        raise typer.Exit(2)
    if migrate:
        asyncio.run(migrate_database(settings))
    key = asyncio.run(bootstrap(settings)) if bootstrap_default else None
    login = asyncio.run(bootstrap_login()) if bootstrap_default else None
    _banner(settings, host, port, key, login)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": logging_config(settings),
        "log_level": settings.log_level.lower(),
        "access_log": False,  # skylight.access writes one line per request instead
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        # SIGTERM: stop accepting, let in-flight requests finish, then run the lifespan's exit.
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }
    import uvicorn

    from skylight.app import create_app

    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # The workers build their settings from the environment: give them the bound address too.
    os.environ.update(SKYLIGHT_HOST=host, SKYLIGHT_PORT=str(port))
    with _shared_metrics_dir(settings):
        uvicorn.run("skylight.app:create_app", factory=True, workers=workers, **options)


@contextlib.contextmanager
def _shared_metrics_dir(settings: Settings) -> Iterator[None]:
    """prometheus_client's multiprocess mode: every worker writes its counters to files in one
    directory, and a scrape of any worker adds them all up."""
    if settings.prometheus_multiproc_dir is not None:
        yield
        return
    path = tempfile.mkdtemp(prefix="skylight-metrics-")
    # Read by the workers (spawned after this) through their Settings and prometheus_client.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    try:
        yield
    finally:
        shutil.rmtree(path, ignore_errors=True)


def migrate() -> None:
    """Apply pending database migrations."""
    asyncio.run(migrate_database(cli_settings()))
    console.print("[green]Database is at the latest migration.[/green]")
