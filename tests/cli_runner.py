"""Run a `skylight` command in this process, against a test's settings: everything but the
process boundary, which tests/cli/test_cli.py proves once with the real executable."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from typer.testing import CliRunner

from skylight.cli.common import settings_for_commands
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
        with settings_for_commands(settings):
            # Wide enough that tables never wrap (the subprocess tests set the same).
            result = CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)

    return await asyncio.to_thread(run)
