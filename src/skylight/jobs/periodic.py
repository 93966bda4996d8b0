"""Periodic work (reconciliation, retention) run once per interval across every process: each
task is ONE job row (its dedupe key is the task's name) that reschedules itself after each run.
Every worker makes sure the row exists at start-up; whichever worker claims it runs it, so two
processes never run the same interval twice, and a dead worker's run is taken over after its
lease like any job."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.jobs.service import enqueue
from skylight.jobs.worker import Handler, RetryLater

logger = logging.getLogger("skylight.jobs")

# A failed run is tried again this soon (or at the next interval, if that is sooner).
RETRY_FAILED_SECONDS = 30.0


@dataclass(frozen=True)
class Periodic:
    kind: str
    every_seconds: float
    run: Callable[[], Awaitable[Any]]


def dedupe_key(kind: str) -> str:
    return f"periodic:{kind}"


def handler_for(task: Periodic) -> Handler:
    """Run the task, then hand the job back for the next interval; never fail it for good (a
    failed periodic job would never run again)."""

    async def run(_payload: dict[str, Any]) -> None:
        try:
            await task.run()
        except Exception as exc:
            retry = min(task.every_seconds, RETRY_FAILED_SECONDS)
            logger.exception("%s failed; trying again in %.0fs", task.kind, retry)
            raise RetryLater(retry, "periodic task failed") from exc
        raise RetryLater(task.every_seconds, "next interval")

    return run


async def schedule(session: AsyncSession, tasks: Iterable[Periodic], now: datetime) -> None:
    """Make sure each task has its job (due now if it is new); existing ones keep their time."""
    for task in tasks:
        await enqueue(session, task.kind, {}, run_at=now, dedupe_key=dedupe_key(task.kind))
