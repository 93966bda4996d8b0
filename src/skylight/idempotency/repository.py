from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update

from skylight.idempotency.models import IdempotencyKey
from skylight.kit.db import dialect_insert
from skylight.kit.repository import ScopedRepository


class IdempotencyRepository(ScopedRepository[IdempotencyKey]):
    model = IdempotencyKey

    async def claim(
        self, key: str, fingerprint: str, now: datetime, expired_before: datetime
    ) -> int | None:
        """Insert the key; its row id when this request owns it, None when it exists."""
        await self.session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.workspace_id == self.workspace_id,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at < expired_before,
            )
        )
        statement = (
            dialect_insert(self.session, IdempotencyKey)
            .values(
                workspace_id=self.workspace_id, key=key, fingerprint=fingerprint, created_at=now
            )
            .on_conflict_do_nothing(index_elements=["workspace_id", "key"])
            .returning(IdempotencyKey.id)
        )
        return (await self.session.execute(statement)).scalar()

    async def by_key(self, key: str) -> IdempotencyKey | None:
        return await self.session.scalar(self.scoped().where(IdempotencyKey.key == key))

    async def complete(self, row_id: int, status: int, body: str) -> None:
        await self.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row_id)
            .values(response_status=status, response_body=body)
        )

    async def release(self, row_id: int) -> None:
        await self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
