"""`skylight users`: dashboard logins (email + password), one workspace each."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from skylight.cli.common import console, unit_of_work
from skylight.users import service
from skylight.workspaces.service import get_by_slug

app = typer.Typer(help="Manage dashboard users.", no_args_is_help=True)

Password = Annotated[
    str | None,
    typer.Option(help="The password; asked for (hidden, twice) when not given."),
]


def _password(given: str | None) -> str:
    if given is not None:
        return given
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@app.command("create")
def create(
    workspace: Annotated[str, typer.Option(help="The workspace's slug.")],
    email: Annotated[str, typer.Option(help="What the user signs in with.")],
    password: Password = None,
) -> None:
    """Create a login for a workspace's dashboard."""
    secret = _password(password)

    async def run() -> str:
        async with unit_of_work() as session:
            ws = await get_by_slug(session, workspace)
            return (await service.create_user(session, ws, email, secret)).email

    console.print(f"[green]Created user[/green] {asyncio.run(run())} for workspace {workspace}.")


@app.command("set-password")
def set_password(
    email: Annotated[str, typer.Option(help="The user's email.")],
    password: Password = None,
) -> None:
    """Give a user a new password; it signs out every session of theirs."""
    secret = _password(password)

    async def run() -> str:
        async with unit_of_work() as session:
            return (await service.set_password(session, email, secret)).email

    console.print(f"[green]New password set[/green] for {asyncio.run(run())}.")


@app.command("list")
def list_(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace's users.")] = None,
) -> None:
    """List users (never their passwords)."""

    async def run() -> list[tuple[str, ...]]:
        async with unit_of_work() as session:
            ws_id = (await get_by_slug(session, workspace)).id if workspace else None
            return [
                (
                    str(user.id),
                    ws.slug,
                    user.email,
                    user.last_signed_in_at.isoformat(timespec="seconds")
                    if user.last_signed_in_at
                    else "never",
                )
                for user, ws in await service.list_users(session, ws_id)
            ]

    table = Table("id", "workspace", "email", "last sign-in")
    for row in asyncio.run(run()):
        table.add_row(*row)
    console.print(table)
