"""What every command needs: settings, a database, a console, and one way errors end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession
from typer.core import TyperGroup

from skylight.kit.db import create_engine, create_sessionmaker, transaction
from skylight.kit.errors import SkylightError
from skylight.kit.settings import Settings, get_settings

# soft_wrap: keys and commands must stay on one line to be copied, whatever the width.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

# Set by tests that run a command in-process (asyncio.to_thread copies it into the thread).
_settings: ContextVar[Settings | None] = ContextVar("skylight_cli_settings", default=None)


def cli_settings() -> Settings:
    """The environment's settings, or the ones a test runs the command with."""
    return _settings.get() or get_settings()


@contextmanager
def settings_for_commands(settings: Settings) -> Iterator[None]:
    token = _settings.set(settings)
    try:
        yield
    finally:
        _settings.reset(token)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[AsyncSession]:
    engine = create_engine(cli_settings().resolved_database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()


class CommandGroup(TyperGroup):
    """Domain errors end a command with one red line and exit code 1, bad settings (e.g. a
    malformed SKYLIGHT_UNIPILE_DSN) with one line per setting and exit code 2; no traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SkylightError as exc:
            err_console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        except ValidationError as exc:
            if exc.title != Settings.__name__:
                raise
            err_console.print(f"[red]Invalid configuration ({exc.error_count()} problem(s)):[/red]")
            for error in exc.errors():
                reason = error["msg"].removeprefix("Value error, ")
                if error["loc"]:
                    reason = "SKYLIGHT_" + "_".join(map(str, error["loc"])).upper() + ": " + reason
                err_console.print(f"[red]  {reason}[/red]")
            raise typer.Exit(2) from None
