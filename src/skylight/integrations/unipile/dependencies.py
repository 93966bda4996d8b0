"""The process's Unipile client (made in the app's lifespan), for endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from skylight.integrations.unipile.client import UnipileClient


# async: a plain def would be run in the thread pool, a thread hop per request for nothing.
async def _unipile(request: Request) -> UnipileClient:
    client: UnipileClient = request.app.state.unipile
    return client


UnipileDep = Annotated[UnipileClient, Depends(_unipile)]
