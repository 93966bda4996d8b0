"""What every command needs: settings, a database and a console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.kit.db import create_engine, create_sessionmaker, transaction
from skylight.kit.settings import get_settings

# soft_wrap: keys and commands must stay on one line to be copied, whatever the width.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[AsyncSession]:
    engine = create_engine(get_settings().resolved_database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()
