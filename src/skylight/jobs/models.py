"""Durable background jobs: enqueued in the same transaction as the data they refer to,
claimed by any number of workers without double-taking (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite's write lock serialises claims), leased so a crashed worker's jobs are taken over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from skylight.kit.models import Base
from skylight.kit.time import utcnow


class JobState:
    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"  # gave up after max_attempts; kept for inspection (see retention)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "state", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    # Whose work it is: a worker runs at most its per-workspace share of a workspace's jobs at
    # once, so one tenant's backlog (or slow endpoint) cannot take every slot. None: ours.
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), default=None
    )
    # At most one live job per key (e.g. one pacing loop per campaign, one periodic job).
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=10)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # Renewed by the running worker's heartbeat; once it lapses another worker takes over.
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it gave up (failed jobs are deleted some days later).
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class WorkerBeat(Base):
    """One row per running worker, renewed by its heartbeat: /readyz and /metrics of any process
    see whether background work is alive anywhere, and whether it gets anything done."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    # The last time it claimed a job, or found nothing due it could run.
    progress_at: Mapped[datetime]
    concurrency: Mapped[int]
    running: Mapped[int] = mapped_column(default=0)
