"""Readiness: the database answers with the current migrations, Unipile (or the simulator)
answers a cheap call, and background work is alive. Each check has a short timeout; the Unipile
answer is cached for a few seconds so frequent probes from a load balancer cost Unipile almost
nothing.

Background work is "stopped" when one of this process's supervised loops has been failing (or
silent) for longer than `job_stall_seconds`, or when, across all processes, a job has been due
that long while no live worker got anything done (none is running, or all are stuck)."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from skylight.integrations.unipile.client import UnipileClient
from skylight.jobs.repository import Liveness, WorkerRepository
from skylight.kit.db import Database
from skylight.kit.errors import SkylightError
from skylight.kit.loops import LoopHealth, Loops
from skylight.kit.migrations import is_current
from skylight.kit.readiness import Reports
from skylight.kit.settings import Settings
from skylight.kit.time import Clock, utcnow

_NOT_CURRENT = "the database schema is not at this version's migrations"


class NotReady(SkylightError):
    status_code = 503
    code = "not_ready"


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    # What the background check saw (workers alive, last heartbeat, overdue jobs).
    workers: dict[str, Any] = field(default_factory=dict)

    def fail(self, name: str, state: str, reason: str, *more: str) -> None:
        self.checks[name] = state
        self.problems[name] = [reason, *more]

    @property
    def data(self) -> dict[str, Any]:
        return {**self.checks, "workers": self.workers}

    @property
    def ready(self) -> bool:
        return not self.problems


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    # The exception type only: messages may carry hosts or user names.
    return type(exc).__name__


def _age(now: Any, then: Any) -> float | None:
    return None if then is None else round(max((now - then).total_seconds(), 0.0), 1)


class _Cached:
    """The last verdict of a slow check, reused for a few seconds."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._at = -math.inf
        self.value: str | None = None

    def fresh(self) -> bool:
        return time.monotonic() - self._at < self._seconds

    def set(self, value: str | None) -> str | None:
        self._at, self.value = time.monotonic(), value
        return value


class ReadinessProbe:
    """The database is pinged on every probe; the migration state (reading every migration
    script) and Unipile's answer are reused for `readiness_cache_seconds`."""

    def __init__(
        self, db: Database, unipile: UnipileClient, settings: Settings, clock: Clock = utcnow
    ) -> None:
        self._db = db
        self._unipile = unipile
        self._clock = clock
        self._loops: list[Loops] = []
        self._stall = settings.job_stall_seconds
        self._timeout = settings.readiness_timeout_seconds
        self._migrations = _Cached(settings.readiness_cache_seconds)
        self._upstream = _Cached(settings.readiness_cache_seconds)
        self._upstream_lock = asyncio.Lock()

    def watch(self, loops: Loops) -> None:
        """Count these supervised loops of this process in the background check."""
        self._loops.append(loops)

    def loop_health(self) -> list[LoopHealth]:
        return [health for loops in self._loops for health in loops.health.values()]

    async def check(self, reports: Reports | None = None) -> Readiness:
        readiness = Readiness()
        database, upstream, liveness = await asyncio.gather(
            self._database(), self._upstream_problem(), self._liveness()
        )
        if database == "down":
            readiness.fail("database", "down", "unreachable or not answering in time")
            readiness.checks["migrations"] = "unknown"
        else:
            readiness.checks["database"] = "ok"
            if database == "ok":
                readiness.checks["migrations"] = "ok"
            else:
                readiness.fail("migrations", "not_current", database)
        if upstream is None:
            readiness.checks["unipile"] = "ok"
        else:
            readiness.fail("unipile", "down", upstream)
        for name, report in reports.items() if reports else []:
            if report.problem is None:
                readiness.checks[name] = report.state
            else:
                readiness.fail(name, report.state, report.problem)
        self._background(readiness, liveness)
        return readiness

    async def _liveness(self) -> Liveness | None:
        now = self._clock()
        window = timedelta(seconds=self._stall)
        try:
            async with asyncio.timeout(self._timeout), self._db.read() as session:
                return await WorkerRepository(session).liveness(now - window, now - window)
        except Exception:
            return None  # the database check says why

    def _background(self, readiness: Readiness, liveness: Liveness | None) -> None:
        problems = [problem for loops in self._loops for problem in loops.problems(self._stall)]
        if liveness is not None:
            now = self._clock()
            readiness.workers = {
                "alive": liveness.workers,
                "last_heartbeat_seconds": _age(now, liveness.last_heartbeat),
                "overdue_jobs": liveness.overdue,
                "oldest_due_seconds": _age(now, liveness.oldest_due),
            }
            progress = liveness.last_progress
            idle = progress is None or (now - progress).total_seconds() > self._stall
            if liveness.overdue and (liveness.workers == 0 or idle):
                who = "no worker is alive" if liveness.workers == 0 else "no worker took any"
                problems.append(f"{liveness.overdue} jobs due for over {self._stall:g}s and {who}")
        if problems:
            readiness.fail("background", "stopped", *problems)
        else:
            readiness.checks["background"] = "ok" if liveness is not None else "unknown"

    async def _database(self) -> str:
        """ok, down, or why the migrations are not current."""
        try:
            async with asyncio.timeout(self._timeout):
                if self._migrations.fresh():
                    async with self._db.engine.connect() as connection:
                        await connection.execute(text("SELECT 1"))
                    problem = self._migrations.value
                else:
                    current = await is_current(self._db.engine)
                    problem = self._migrations.set(None if current else _NOT_CURRENT)
        except Exception:
            return "down"
        return problem or "ok"

    async def _upstream_problem(self) -> str | None:
        async with self._upstream_lock:
            if self._upstream.fresh():
                return self._upstream.value
            try:
                async with asyncio.timeout(self._timeout):
                    await self._unipile.list_accounts(limit=1)
            except Exception as exc:
                return self._upstream.set(_reason(exc))
            return self._upstream.set(None)
