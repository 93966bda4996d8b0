"""Typed factory helpers: each test makes its own workspace, so tests never see each other."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.apikeys.service import create_key
from skylight.kit.db import transaction
from skylight.workspaces.service import create_workspace


@dataclass(frozen=True)
class TenantFixture:
    workspace_id: int
    slug: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def make_tenant(
    maker: async_sessionmaker[AsyncSession], *, timezone: str = "UTC"
) -> TenantFixture:
    async with transaction(maker) as session:
        workspace = await create_workspace(
            session, f"Test {secrets.token_hex(3)}", timezone=timezone
        )
        created = await create_key(session, workspace, "test", "test")
        return TenantFixture(workspace_id=workspace.id, slug=workspace.slug, key=created.secret)
