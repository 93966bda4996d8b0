"""Run a `skylight` command in this process, against a test's settings: everything but the
process boundary, which tests/cli/test_cli.py proves once with the real executable."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from typer.testing import CliRunner

from skylight.cli.common import console, err_console, settings_for_commands
from skylight.cli.main import app
from skylight.kit.settings import Settings


@dataclass(frozen=True)
class Ran:
    exit_code: int
    stdout: str
    stderr: str


async def skylight(settings: Settings, *args: str) -> Ran:
    """In a thread: the command runs its own event loop (asyncio.run), and the test's loop, where
    the app's background loops hold short transactions, keeps running meanwhile."""

    def run() -> Ran:
        # Wide enough that tables never wrap, whatever size the consoles took at import.
        widths = console.width, err_console.width
        console.width = err_console.width = 200
        try:
            with settings_for_commands(settings):
                result = CliRunner().invoke(app, list(args))
        finally:
            console.width, err_console.width = widths
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)

    return await asyncio.to_thread(run)
