"""`skylight`: serve the API, manage the database, workspaces and keys.

Each command imports what it needs when it runs, so `skylight keys list` does not load the
whole server."""

from __future__ import annotations

import typer

from skylight.cli import campaigns, keys, users, workspaces
from skylight.cli.common import CommandGroup
from skylight.cli.serve import migrate, serve
from skylight.cli.simulator import simulator
from skylight.cli.worker import worker

app = typer.Typer(
    cls=CommandGroup,
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
    app()
