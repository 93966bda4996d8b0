"""`skylight`: serve the API, manage the database, workspaces and keys."""

from __future__ import annotations

import typer

from skylight import wiring
from skylight.cli import campaigns, keys, users, workspaces
from skylight.cli.common import err_console
from skylight.cli.serve import migrate, serve
from skylight.cli.simulator import simulator
from skylight.cli.worker import worker
from skylight.kit.errors import SkylightError

app = typer.Typer(
    help="SkyLight Chat: one REST API for WhatsApp, Telegram and Instagram.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command()(serve)
app.command()(migrate)
app.command()(worker)
app.command()(simulator)
app.add_typer(workspaces.app, name="workspaces")
app.add_typer(keys.app, name="keys")
app.add_typer(campaigns.app, name="campaigns")
app.add_typer(users.app, name="users")


def main() -> None:
    """Entry point: domain errors are one red line, not a traceback."""
    wiring.install()
    try:
        app()
    except SkylightError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise SystemExit(1) from None
