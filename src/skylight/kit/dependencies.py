"""FastAPI dependencies shared by every domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.kit.db import Database, transaction
from skylight.kit.settings import Settings


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with transaction(request.app.state.sessionmaker) as session:
        yield session


# Dependencies are async even when they only read app state: FastAPI runs a plain def in its
# thread pool, a thread hop (and GIL hand-over) per request for nothing.
async def _database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": the commit happens before the response is sent, so a client never sees a
# success for work that then failed to commit.
DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
# For flows with upstream calls: they open their own short transactions (see kit.db.Database).
Db = Annotated[Database, Depends(_database)]
