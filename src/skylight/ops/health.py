"""Readiness: the database answers with the current migrations, and Unipile (or the simulator)
answers a cheap call. Each check has a short timeout; the Unipile answer is cached for a few
seconds so frequent probes from a load balancer cost Unipile almost nothing."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from sqlalchemy import text

from skylight.integrations.unipile.client import UnipileClient
from skylight.kit.db import Database
from skylight.kit.errors import SkylightError
from skylight.kit.migrations import is_current
from skylight.kit.readiness import Reports
from skylight.kit.settings import Settings

_NOT_CURRENT = "the database schema is not at this version's migrations"


class NotReady(SkylightError):
    status_code = 503
    code = "not_ready"


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, state: str, reason: str) -> None:
        self.checks[name] = state
        self.problems[name] = [reason]

    @property
    def ready(self) -> bool:
        return not self.problems


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    # The exception type only: messages may carry hosts or user names.
    return type(exc).__name__


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

    def __init__(self, db: Database, unipile: UnipileClient, settings: Settings) -> None:
        self._db = db
        self._unipile = unipile
        self._timeout = settings.readiness_timeout_seconds
        self._migrations = _Cached(settings.readiness_cache_seconds)
        self._upstream = _Cached(settings.readiness_cache_seconds)
        self._upstream_lock = asyncio.Lock()

    async def check(self, reports: Reports | None = None) -> Readiness:
        readiness = Readiness()
        database, upstream = await asyncio.gather(self._database(), self._upstream_problem())
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
        return readiness

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
