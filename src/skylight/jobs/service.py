from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.jobs.repository import JobRepository
from skylight.kit.time import utcnow


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 10,
) -> int | None:
    """Add a job in the caller's transaction: it exists if and only if that work commits."""
    return await JobRepository(session).enqueue(
        kind,
        payload,
        run_at=run_at or utcnow(),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )
