from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.models import Event


class DashboardRepository:
    """The few reads the dashboard needs that no domain offers, scoped to one workspace."""

    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def latest_event_id(self) -> int:
        latest = await self.session.scalar(
            select(func.max(Event.id)).where(Event.workspace_id == self.workspace_id)
        )
        return int(latest or 0)
