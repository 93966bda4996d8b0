from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.kit.errors import NotFound, Unprocessable, field_error
from skylight.workspaces.models import Workspace
from skylight.workspaces.repository import WorkspaceRepository


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:48] or "workspace"


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unprocessable(
            "Unknown time zone.", errors=field_error("timezone", f"'{name}' is not an IANA zone.")
        ) from None
    return name


async def create_workspace(
    session: AsyncSession, name: str, *, slug: str | None = None, timezone: str = "UTC"
) -> Workspace:
    name = name.strip()
    if not name:
        raise Unprocessable("A workspace needs a name.", errors=field_error("name", "Required."))
    repo = WorkspaceRepository(session)
    base = slugify(slug or name)
    taken = await repo.slugs_starting_with(base)
    unique = base
    counter = 2
    while unique in taken:
        unique = f"{base}-{counter}"
        counter += 1
    workspace = Workspace(name=name, slug=unique, timezone=validate_timezone(timezone))
    return await repo.add(workspace)


async def get_by_slug(session: AsyncSession, slug: str) -> Workspace:
    workspace = await WorkspaceRepository(session).get_by_slug(slug)
    if workspace is None:
        raise NotFound(f"No workspace with slug '{slug}'.")
    return workspace


async def list_workspaces(session: AsyncSession) -> Sequence[Workspace]:
    return await WorkspaceRepository(session).list()
