from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update

from skylight.jobs.models import Job, JobState
from skylight.kit.db import dialect_insert
from skylight.kit.repository import Repository


class JobRepository(Repository[Job]):
    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: datetime,
        dedupe_key: str | None,
        max_attempts: int,
    ) -> int | None:
        """The new job's id; None when a job with this dedupe_key exists already."""
        statement = (
            dialect_insert(self.session, Job)
            .values(
                kind=kind,
                payload=json.dumps(payload, sort_keys=True),
                run_at=run_at,
                dedupe_key=dedupe_key,
                max_attempts=max_attempts,
                state=JobState.QUEUED,
                attempts=0,
                created_at=run_at,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Job.id)
        )
        return (await self.session.execute(statement)).scalar()

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        kinds: Collection[str] | None = None,
    ) -> Sequence[Job]:
        """Take up to `limit` due jobs (of these kinds) for this worker, skipping rows another
        worker is claiming at this moment."""
        due = or_(
            and_(Job.state == JobState.QUEUED, Job.run_at <= now),
            # A running job whose lease ran out belonged to a worker that died: take it over.
            and_(Job.state == JobState.RUNNING, Job.locked_until < now),
        )
        kind_filter = Job.kind.in_(list(kinds)) if kinds is not None else Job.kind.is_not(None)
        ids = (
            await self.session.scalars(
                select(Job.id)
                .where(due, kind_filter)
                .order_by(Job.run_at, Job.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not ids:
            return []
        await self.session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(
                state=JobState.RUNNING,
                locked_by=worker,
                locked_until=lease_until,
                attempts=Job.attempts + 1,
            )
        )
        rows = await self.session.scalars(select(Job).where(Job.id.in_(ids)).order_by(Job.run_at))
        return rows.all()

    async def finish(self, job_id: int, worker: str) -> None:
        await self.session.execute(delete(Job).where(Job.id == job_id, Job.locked_by == worker))

    async def retry(self, job_id: int, worker: str, run_at: datetime, error: str | None) -> None:
        await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker)
            .values(
                state=JobState.QUEUED,
                run_at=run_at,
                locked_by=None,
                locked_until=None,
                last_error=error,
            )
        )

    async def release(self, job_id: int, worker: str) -> None:
        """Hand a claimed job back untouched (graceful shutdown): the attempt does not count."""
        await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker)
            .values(
                state=JobState.QUEUED,
                locked_by=None,
                locked_until=None,
                attempts=Job.attempts - 1,
            )
        )

    async def reschedule(self, job_id: int, worker: str, run_at: datetime) -> None:
        """Run it again later; waiting (e.g. for pacing) is not a failed attempt."""
        await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker)
            .values(
                state=JobState.QUEUED,
                run_at=run_at,
                locked_by=None,
                locked_until=None,
                attempts=Job.attempts - 1,
            )
        )

    async def give_up(self, job_id: int, worker: str, error: str) -> None:
        await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker)
            .values(state=JobState.FAILED, locked_by=None, locked_until=None, last_error=error)
        )

    async def depth(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Job.kind, func.count()).where(Job.state != JobState.FAILED).group_by(Job.kind)
        )
        return {kind: int(count) for kind, count in rows.all()}
