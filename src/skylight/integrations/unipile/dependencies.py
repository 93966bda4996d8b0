"""The process's Unipile client (made in the app's lifespan), for endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from skylight.integrations.unipile.client import UnipileClient


def _unipile(request: Request) -> UnipileClient:
    client: UnipileClient = request.app.state.unipile
    return client


UnipileDep = Annotated[UnipileClient, Depends(_unipile)]
