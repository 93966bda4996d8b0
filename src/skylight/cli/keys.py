from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from skylight.apikeys import service
from skylight.cli.common import cli_settings, console, unit_of_work
from skylight.workspaces.service import get_by_slug

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@app.command("create")
def create(
    workspace: Annotated[str, typer.Option(help="The workspace's slug.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
) -> None:
    """Create a key. It is shown once, as the last line, and stored only as a hash."""

    async def run() -> str:
        async with unit_of_work() as session:
            ws = await get_by_slug(session, workspace)
            created = await service.create_key(session, ws, name, cli_settings().key_mode)
            return created.secret

    secret = asyncio.run(run())
    console.print("[green]Created API key.[/green] Copy it now; it will not be shown again:")
    print(secret)


@app.command("list")
def list_(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace's keys.")] = None,
) -> None:
    """List keys (never the secrets)."""

    async def run() -> list[tuple[str, ...]]:
        async with unit_of_work() as session:
            ws_id = (await get_by_slug(session, workspace)).id if workspace else None
            keys = await service.list_keys(session, workspace_id=ws_id)
            return [
                (
                    str(k.id),
                    str(k.workspace_id),
                    k.name,
                    k.prefix + "…",
                    k.created_at.isoformat(timespec="seconds"),
                    "revoked" if k.revoked_at else "active",
                )
                for k in keys
            ]

    table = Table("id", "workspace", "name", "key", "created", "state")
    for row in asyncio.run(run()):
        table.add_row(*row, style="dim" if row[-1] == "revoked" else None)
    console.print(table)


@app.command("revoke")
def revoke(key_id: int) -> None:
    """Revoke a key by its id; requests with it get 401 from then on."""

    async def run() -> str:
        async with unit_of_work() as session:
            return (await service.revoke_key(session, key_id)).name

    name = asyncio.run(run())
    console.print(f"[yellow]Revoked[/yellow] key {key_id} ({name}).")
