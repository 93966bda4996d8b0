from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update

from skylight.jobs.models import Job, JobState, WorkerBeat
from skylight.kit.db import dialect_insert
from skylight.kit.repository import Repository


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.state == JobState.QUEUED, Job.run_at <= now),
        # A running job whose lease ran out belonged to a worker that died: take it over.
        and_(Job.state == JobState.RUNNING, Job.locked_until < now),
    )


class JobRepository(Repository[Job]):
    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: datetime,
        dedupe_key: str | None,
        max_attempts: int,
        workspace_id: int | None,
    ) -> int | None:
        """The new job's id; None when a job with this dedupe_key exists already."""
        statement = (
            dialect_insert(self.session, Job)
            .values(
                kind=kind,
                payload=json.dumps(payload, sort_keys=True),
                workspace_id=workspace_id,
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
        kinds: Collection[str],
        *,
        per_workspace: int,
        busy: Mapping[int | None, int],
        running: Collection[int] = (),
    ) -> Sequence[Job]:
        """Take up to `limit` due jobs of these kinds for this worker, oldest first, but no more
        than `per_workspace` of one workspace counting the ones it runs already (`busy`), and
        skipping rows another worker is claiming at this moment, and the jobs it runs itself
        (`running`: their lease may have lapsed while the database was away)."""
        kind_filter: ColumnElement[bool] = Job.kind.in_(list(kinds))
        if running:
            kind_filter = and_(kind_filter, Job.id.not_in(list(running)))
        # Each workspace's oldest few: one tenant's thousand due jobs cannot crowd the others
        # out of the candidates (window functions cannot be locked, so lock in a second step).
        rank = func.row_number().over(partition_by=Job.workspace_id, order_by=(Job.run_at, Job.id))
        ranked = select(Job.id, Job.workspace_id, Job.run_at, rank.label("rank")).where(
            _due(now), kind_filter
        )
        full = [ws for ws, n in busy.items() if ws is not None and n >= per_workspace]
        if full:
            ranked = ranked.where(or_(Job.workspace_id.is_(None), Job.workspace_id.not_in(full)))
        inner = ranked.subquery()
        candidates = await self.session.execute(
            select(inner.c.id, inner.c.workspace_id)
            .where(inner.c.rank <= per_workspace)
            .order_by(inner.c.run_at, inner.c.id)
            .limit(limit * per_workspace)
        )
        taken: dict[int | None, int] = dict(busy)
        picked: list[int] = []
        for job_id, workspace_id in candidates.all():
            if len(picked) == limit:
                break
            if taken.get(workspace_id, 0) < per_workspace:
                taken[workspace_id] = taken.get(workspace_id, 0) + 1
                picked.append(job_id)
        if not picked:
            return []
        # Still due (another worker may have claimed one since), and not being claimed now.
        ids = (
            await self.session.scalars(
                select(Job.id)
                .where(Job.id.in_(picked), _due(now))
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
        rows = await self.session.scalars(
            select(Job).where(Job.id.in_(ids)).order_by(Job.run_at, Job.id)
        )
        return rows.all()

    async def renew(self, worker: str, job_ids: Collection[int], lease_until: datetime) -> None:
        """Extend the leases of the jobs this worker is still running (its heartbeat)."""
        if job_ids:
            await self.session.execute(
                update(Job)
                .where(
                    Job.id.in_(list(job_ids)),
                    Job.locked_by == worker,
                    Job.state == JobState.RUNNING,
                )
                .values(locked_until=lease_until)
            )

    async def next_due(self, kinds: Collection[str]) -> datetime | None:
        """When the next job of these kinds becomes claimable: a queued one's run_at, or a
        running one's lease end. The worker sleeps until then (or a wake-up)."""
        kind_filter = Job.kind.in_(list(kinds))
        queued = await self.session.scalar(
            select(func.min(Job.run_at)).where(Job.state == JobState.QUEUED, kind_filter)
        )
        leased = await self.session.scalar(
            select(func.min(Job.locked_until)).where(Job.state == JobState.RUNNING, kind_filter)
        )
        found = [t for t in (queued, leased) if t is not None]
        return min(found) if found else None

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
        await self.reschedule(job_id, worker, run_at=None)

    async def reschedule(self, job_id: int, worker: str, run_at: datetime | None) -> None:
        """Run it again later (or at once); waiting (e.g. for pacing) or the database being
        away is not a failed attempt."""
        values: dict[str, Any] = {
            "state": JobState.QUEUED,
            "locked_by": None,
            "locked_until": None,
            "attempts": Job.attempts - 1,
        }
        if run_at is not None:
            values["run_at"] = run_at
        await self.session.execute(
            update(Job).where(Job.id == job_id, Job.locked_by == worker).values(**values)
        )

    async def give_up(self, job_id: int, worker: str, error: str, now: datetime) -> None:
        await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker)
            .values(
                state=JobState.FAILED,
                locked_by=None,
                locked_until=None,
                last_error=error,
                finished_at=now,
            )
        )

    async def depth(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Job.kind, func.count()).where(Job.state != JobState.FAILED).group_by(Job.kind)
        )
        return {kind: int(count) for kind, count in rows.all()}


@dataclass(frozen=True)
class Liveness:
    """Background work as the database sees it, across every process."""

    workers: int
    last_heartbeat: datetime | None
    last_progress: datetime | None
    # Jobs that could have been claimed this long ago and were not.
    overdue: int
    oldest_due: datetime | None


class WorkerRepository(Repository[WorkerBeat]):
    async def beat(
        self,
        name: str,
        *,
        now: datetime,
        started_at: datetime,
        progress_at: datetime,
        concurrency: int,
        running: int,
    ) -> None:
        values = {
            "heartbeat_at": now,
            "progress_at": progress_at,
            "concurrency": concurrency,
            "running": running,
        }
        statement = dialect_insert(self.session, WorkerBeat).values(
            name=name, started_at=started_at, **values
        )
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["name"], set_=values)
        )

    async def forget(self, name: str) -> None:
        await self.session.execute(delete(WorkerBeat).where(WorkerBeat.name == name))

    async def liveness(self, alive_since: datetime, due_before: datetime) -> Liveness:
        workers = (
            await self.session.execute(
                select(
                    func.count(),
                    func.max(WorkerBeat.heartbeat_at),
                    func.max(WorkerBeat.progress_at),
                ).where(WorkerBeat.heartbeat_at >= alive_since)
            )
        ).one()
        overdue = (
            await self.session.execute(
                select(func.count(), func.min(Job.run_at)).where(
                    or_(
                        and_(Job.state == JobState.QUEUED, Job.run_at < due_before),
                        and_(Job.state == JobState.RUNNING, Job.locked_until < due_before),
                    )
                )
            )
        ).one()
        return Liveness(
            workers=int(workers[0] or 0),
            last_heartbeat=workers[1],
            last_progress=workers[2],
            overdue=int(overdue[0] or 0),
            oldest_due=overdue[1],
        )
