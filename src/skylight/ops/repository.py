"""The few queries operations need; unlike the domains' repositories they span workspaces."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.messages.models import Message


async def message_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(direction, status, count) over every workspace."""
    rows = await session.execute(
        select(Message.direction, Message.status, func.count())
        .group_by(Message.direction, Message.status)
        .order_by(Message.direction, Message.status)
    )
    return [(direction, status, count) for direction, status, count in rows]
