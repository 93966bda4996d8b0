from __future__ import annotations

import asyncio
import contextlib
import signal

from skylight.cli.common import cli_settings, console


def worker() -> None:
    """Run background jobs (campaign sends, webhook deliveries) in this process.

    Any number of workers can share one PostgreSQL; on SQLite run one process in all (the
    server does it by default: set SKYLIGHT_RUN_JOBS_IN_PROCESS=false to leave it to workers)."""
    from skylight import wiring
    from skylight.background import Services, make_worker
    from skylight.kit.db import Database, create_engine
    from skylight.kit.logging import configure_logging
    from skylight.upstream import connect_upstream
    from skylight.webhooks.sender import webhook_sender

    wiring.install()
    settings = cli_settings()
    configure_logging(settings)  # the server's format and secret scrubbing
    if settings.embedded_simulator:
        console.print(
            "[yellow]No SKYLIGHT_UNIPILE_DSN: this worker gets an embedded simulator of its "
            "own. Point it at the server's Unipile (or `skylight simulator` with "
            "SKYLIGHT_SANDBOX=true).[/yellow]"
        )

    async def run() -> None:
        db = Database(create_engine(settings.resolved_database_url))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            async with connect_upstream(settings) as upstream, webhook_sender(settings) as hooks:
                jobs = make_worker(Services(db, upstream.unipile, settings, hooks))
                async with jobs.running():
                    console.print(f"[green]Worker {jobs.name} running.[/green] Ctrl+C to stop.")
                    await stop.wait()
                console.print("Stopped; unfinished jobs were handed back.")
        finally:
            await db.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
