from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

import typer

from skylight.cli.common import cli_settings, console, err_console

if TYPE_CHECKING:
    from skylight.kit.settings import Settings


def worker() -> None:
    """Run background jobs (campaign sends, webhook deliveries, reconciliation, retention) in
    this process.

    Any number of workers can share one PostgreSQL; on SQLite run one process in all (the
    server does it by default: set SKYLIGHT_RUN_JOBS_IN_PROCESS=false to leave it to workers).
    Exits with status 1 when its background loops have failed for SKYLIGHT_WORKER_GIVE_UP_SECONDS
    without a break, so a service manager restarts it."""
    from skylight import wiring
    from skylight.kit.logging import configure_logging

    wiring.install()
    settings = cli_settings()
    configure_logging(settings)  # the server's format and secret scrubbing
    if settings.embedded_simulator:
        console.print(
            "[yellow]No SKYLIGHT_UNIPILE_DSN: this worker gets an embedded simulator of its "
            "own. Point it at the server's Unipile (or `skylight simulator` with "
            "SKYLIGHT_SANDBOX=true).[/yellow]"
        )

    async def run() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run_worker(settings, stop)

    code = 0
    with contextlib.suppress(KeyboardInterrupt):
        code = asyncio.run(run())
    if code:
        raise typer.Exit(code)


async def run_worker(settings: Settings, stop: asyncio.Event) -> int:
    """Run until `stop` is set (0) or the background work cannot recover (1)."""
    from skylight import wiring
    from skylight.background import Services, make_worker
    from skylight.jobs.service import JOBS_CHANNEL
    from skylight.kit.db import Database, create_engine
    from skylight.kit.loops import Loops
    from skylight.kit.signals import Signals
    from skylight.upstream import connect_upstream
    from skylight.webhooks.sender import webhook_sender

    db = Database(
        create_engine(settings.resolved_database_url, pool_size=settings.database_pool_size)
    )
    signals = Signals()
    signals.install(db.session_class, db.engine)
    wiring.listen(signals)
    loops = Loops(give_up_after=settings.worker_give_up_seconds)
    try:
        async with connect_upstream(settings) as upstream, webhook_sender(settings) as hooks:
            jobs = make_worker(Services(db, upstream.unipile, settings, hooks))
            signals.subscribe(JOBS_CHANNEL, jobs.wake)
            async with jobs.running():
                signals.listen(db.engine, loops)
                console.print(f"[green]Worker {jobs.name} running.[/green] Ctrl+C to stop.")
                try:
                    ended = await _first(stop, jobs.loops.unrecoverable, loops.unrecoverable)
                finally:
                    await loops.stop()
            if ended is not stop:
                reason = jobs.loops.reason or loops.reason
                err_console.print(f"[red]Background work cannot recover ({reason}); exiting.[/red]")
                return 1
            console.print("Stopped; unfinished jobs were handed back.")
            return 0
    finally:
        await db.dispose()


async def _first(*events: asyncio.Event) -> asyncio.Event:
    """The first of these events to be set."""
    waits = {asyncio.create_task(event.wait()): event for event in events}
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        return waits[next(iter(done))]
    finally:
        for task in waits:
            task.cancel()
