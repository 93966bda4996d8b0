"""What every repository repeats: holding the session (and the workspace), adding a row, and
getting one by id within the workspace. SQL stays in each domain's repository.py."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.kit.models import Base

RowT = TypeVar("RowT", bound=Base)


class Repository(Generic[RowT]):
    """Queries that are not one workspace's (lookups by Unipile id, the job queue)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: RowT) -> RowT:
        """Insert now (flush), so the row has its id."""
        self.session.add(row)
        await self.session.flush()
        return row


class ScopedRepository(Repository[RowT]):
    """One workspace's rows: every query starts from `scoped()`, so none can reach another
    workspace's. Subclasses name their table in `model` (its `workspace_id` is the scope)."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        super().__init__(session)
        self.workspace_id = workspace_id

    def scoped(self) -> Select[RowT]:
        return select(self.model).where(self.model.workspace_id == self.workspace_id)

    async def get(self, row_id: int) -> RowT | None:
        return await self.session.scalar(self.scoped().where(self.model.id == row_id))
