from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from skylight.cli.common import console, unit_of_work
from skylight.workspaces import service

app = typer.Typer(help="Manage workspaces (tenants).", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. Asia/Riyadh.")] = "UTC",
) -> None:
    """Create a workspace; its slug is printed as the last line."""

    async def run() -> str:
        async with unit_of_work() as session:
            workspace = await service.create_workspace(session, name, timezone=timezone)
            return workspace.slug

    slug = asyncio.run(run())
    console.print(f"[green]Created workspace[/green] {name!r}. Slug:")
    print(slug)


@app.command("list")
def list_() -> None:
    """List workspaces."""

    async def run() -> list[tuple[int, str, str, str]]:
        async with unit_of_work() as session:
            rows = await service.list_workspaces(session)
            return [(w.id, w.slug, w.name, w.timezone) for w in rows]

    table = Table("id", "slug", "name", "time zone")
    for row in asyncio.run(run()):
        table.add_row(*(str(v) for v in row))
    console.print(table)
