from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from skylight.apikeys.models import ApiKey
from skylight.kit.repository import Repository
from skylight.workspaces.models import Workspace


class ApiKeyRepository(Repository[ApiKey]):
    """Keys are looked up before the workspace is known (by hash), so not workspace-scoped."""

    async def active_by_hash(self, key_hash: str) -> tuple[ApiKey, Workspace] | None:
        row = (
            await self.session.execute(
                select(ApiKey, Workspace)
                .join(Workspace, Workspace.id == ApiKey.workspace_id)
                .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def get(self, key_id: int, *, workspace_id: int | None = None) -> ApiKey | None:
        query = select(ApiKey).where(ApiKey.id == key_id)
        if workspace_id is not None:
            query = query.where(ApiKey.workspace_id == workspace_id)
        return await self.session.scalar(query)

    async def list(self, *, workspace_id: int | None = None) -> Sequence[ApiKey]:
        query = select(ApiKey).order_by(ApiKey.id)
        if workspace_id is not None:
            query = query.where(ApiKey.workspace_id == workspace_id)
        return (await self.session.scalars(query)).all()
