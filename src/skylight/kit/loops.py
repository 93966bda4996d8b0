"""Supervised background loops: a loop never ends on an error. Each step that raises is logged
and the loop backs off (0.5 s doubling to a few seconds) before the next, so a database that
refuses connections for a while, or a bug in one step, pauses the work instead of ending it.

Each loop's health (last good step, failing since when, why) is kept for /readyz and /metrics;
a loop failing without a break for longer than `give_up_after` marks the set unrecoverable,
which `skylight worker` turns into a non-zero exit so its service manager restarts it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

logger = logging.getLogger("skylight.loops")

Step = Callable[[], Awaitable[None]]

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 5.0


def loop_backoff(failures: int, first: float = BACKOFF_FIRST, most: float = BACKOFF_MAX) -> float:
    """The wait after the n-th failure in a row, with jitter so processes do not retry in step."""
    seconds: float = min(most, first * 2.0 ** max(failures - 1, 0))
    return seconds * random.uniform(0.8, 1.0)  # noqa: S311


@dataclass
class LoopHealth:
    """What one loop has done lately, in monotonic seconds."""

    name: str
    started_at: float
    # The longest a healthy step takes (it may wait that long); silence is judged beyond it.
    period: float = 0.0
    last_ok_at: float | None = None
    failing_since: float | None = None
    failures: int = 0
    last_error: str | None = None
    ended: bool = False

    def failing_for(self, now: float) -> float:
        return 0.0 if self.failing_since is None else now - self.failing_since

    def quiet_for(self, now: float) -> float:
        """Seconds since the last good step (or the start)."""
        return now - (self.last_ok_at if self.last_ok_at is not None else self.started_at)


class Loops:
    """A set of supervised loops run by one process (the job worker's, the notifier's...)."""

    def __init__(self, *, give_up_after: float | None = None) -> None:
        self._give_up_after = give_up_after
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.health: dict[str, LoopHealth] = {}
        # Set when a loop failed for longer than give_up_after, or ended by surprise.
        self.unrecoverable = asyncio.Event()
        self.reason: str | None = None

    def start(
        self, name: str, step: Step, *, until_done: bool = False, period: float = 0.0
    ) -> None:
        """Run `step` again and again (it does its own waiting between useful work, at most
        `period` seconds). With `until_done`, the loop ends after the first step that
        succeeds."""
        health = LoopHealth(name, time.monotonic(), period)
        self.health[name] = health
        self._tasks[name] = asyncio.create_task(self._run(health, step, until_done), name=name)

    async def _run(self, health: LoopHealth, step: Step, until_done: bool) -> None:
        try:
            while True:
                try:
                    await step()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    await self._failed(health, exc)
                    continue
                self._ok(health)
                if until_done:
                    return
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # pragma: no cover - a bug in the supervisor itself
            self._give_up(health, f"ended: {type(exc).__name__}: {exc}")
            raise
        finally:
            health.ended = True

    def _ok(self, health: LoopHealth) -> None:
        if health.failing_since is not None:
            logger.info("%s recovered after %d failed attempts", health.name, health.failures)
        health.last_ok_at = time.monotonic()
        health.failing_since, health.failures, health.last_error = None, 0, None

    async def _failed(self, health: LoopHealth, exc: Exception) -> None:
        now = time.monotonic()
        health.failures += 1
        health.failing_since = health.failing_since or now
        health.last_error = type(exc).__name__
        wait = loop_backoff(health.failures)
        if health.failures == 1:
            logger.exception("%s failed; retrying in %.1fs", health.name, wait)
        else:
            # One line per retry, not a traceback each time, while the cause lasts.
            logger.warning(
                "%s still failing (%d in a row, %s); retrying in %.1fs",
                health.name,
                health.failures,
                exc,
                wait,
            )
        limit = self._give_up_after
        if limit is not None and health.failing_for(now) > limit:
            self._give_up(health, f"failing for {health.failing_for(now):.0f}s: {exc!r}")
        await asyncio.sleep(wait)

    def _give_up(self, health: LoopHealth, why: str) -> None:
        if not self.unrecoverable.is_set():
            self.reason = f"{health.name} {why}"
            logger.error("background work cannot recover: %s", self.reason)
            self.unrecoverable.set()

    async def stop(self, *names: str) -> None:
        """Stop these loops (all of them when none is named) and wait until they have."""
        chosen = [name for name in (names or list(self._tasks)) if name in self._tasks]
        tasks = [self._tasks.pop(name) for name in chosen]
        for name in chosen:
            self.health.pop(name, None)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def problems(self, stall_seconds: float) -> list[str]:
        """Why this process's background work is not healthy: a loop that ended, or one that
        has been failing (or silent) for longer than stall_seconds."""
        now = time.monotonic()
        found = []
        for name, health in self.health.items():
            task = self._tasks.get(name)
            crashed = task is not None and task.done() and not task.cancelled()
            if crashed and task is not None and task.exception() is not None:
                found.append(f"{name} ended: {type(task.exception()).__name__}")
            elif health.ended:
                continue  # a loop that runs until done, done
            elif health.failing_for(now) > stall_seconds:
                seconds = health.failing_for(now)
                found.append(f"{name} failing for {seconds:.0f}s ({health.last_error})")
            elif health.quiet_for(now) > stall_seconds + health.period:
                found.append(f"{name} silent for {health.quiet_for(now):.0f}s")
        return found
