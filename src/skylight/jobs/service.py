from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.jobs.repository import JobRepository
from skylight.kit.signals import announce
from skylight.kit.time import utcnow

# Workers subscribe to it (kit.signals): a commit that enqueued a job wakes them at once.
JOBS_CHANNEL = "skylight_jobs"


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 10,
    workspace_id: int | None = None,
) -> int | None:
    """Add a job in the caller's transaction: it exists if and only if that work commits.
    `workspace_id` names whose work it is (see the per-workspace share in jobs.worker)."""
    job_id = await JobRepository(session).enqueue(
        kind,
        payload,
        run_at=run_at or utcnow(),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
        workspace_id=workspace_id,
    )
    if job_id is not None:
        announce(session, JOBS_CHANNEL)
    return job_id
