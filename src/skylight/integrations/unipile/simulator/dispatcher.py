"""Background loop: webhook deliveries with retries, and timed CONNECTING -> OK promotions.

Deliveries live in the database, so a restarted simulator resumes the pending ones. Per webhook
they go out one at a time in queue order (a retry waits its turn, it does not block the queue);
different webhooks are served concurrently. Attempt n+1 waits ``retry_base * 2**(n-1)`` after a
non-2xx or a timeout; after ``1 + webhook_max_retries`` attempts the delivery is ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

import httpx
import sqlalchemy as sa

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.accounts import promote_due
from skylight.integrations.unipile.simulator.state import SimulatorState
from skylight.integrations.unipile.simulator.wire import now_ms
from skylight.kit.tls import client_tls

logger = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, state: SimulatorState) -> None:
        self._state = state
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(state.config.webhook_timeout_seconds),
            headers={"user-agent": "unipile-simulator"},
            verify=client_tls(),
        )
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="unipile-sim-dispatcher")

    async def stop(self) -> None:
        tasks = [*self._workers.values(), *([self._loop_task] if self._loop_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._http.aclose()

    async def _run(self) -> None:
        # Woken at once by whatever makes work (a new delivery, a login that will turn OK),
        # otherwise asleep until the next retry or promotion is due; poll_interval_seconds is
        # only the longest nap. (Every embedded simulator polling 20 times a second was a
        # write transaction each time: a tenth of the test suite's CPU.)
        while True:
            self._state.wake.clear()
            next_due: int | None = None
            try:
                next_due = await self._tick()
            except Exception:  # the loop must survive one bad tick
                logger.exception("simulator dispatcher tick failed")
            nap = self._state.config.poll_interval_seconds
            if next_due is not None:
                nap = min(nap, max(next_due - now_ms(), 0) / 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._state.wake.wait(), nap)

    async def _tick(self) -> int | None:
        """Start a worker for each webhook with a due delivery; when the next one is due
        (epoch ms), or the next CONNECTING account turns OK, if anything is waiting."""
        async with self._state.engine.begin() as conn:
            await promote_due(conn, self._state)
            now = now_ms()
            due = (
                await conn.execute(
                    sa.select(t.deliveries.c.webhook_id)
                    .where(
                        t.deliveries.c.state == "pending",
                        t.deliveries.c.next_attempt_ms <= now,
                    )
                    .distinct()
                )
            ).scalars()
            webhook_ids = list(due)
            later = [
                await conn.scalar(
                    sa.select(sa.func.min(t.deliveries.c.next_attempt_ms)).where(
                        t.deliveries.c.state == "pending", t.deliveries.c.next_attempt_ms > now
                    )
                ),
                await conn.scalar(sa.select(sa.func.min(t.accounts.c.ok_at_ms))),
            ]
        for webhook_id in webhook_ids:
            if webhook_id not in self._workers:
                task = asyncio.create_task(self._drain(webhook_id))
                self._workers[webhook_id] = task
                task.add_done_callback(functools.partial(self._worker_done, webhook_id))
        times = [int(x) for x in later if x is not None]
        return min(times) if times else None

    def _worker_done(self, webhook_id: str, task: asyncio.Task[None]) -> None:
        self._workers.pop(webhook_id, None)
        # A delivery made while this worker was finishing was skipped by the loop's last look
        # (its webhook had a worker): look again rather than at the next nap's end. Not after
        # a failure, which would restart a failing worker in a tight loop.
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            logger.error("simulator webhook worker failed", exc_info=error)
            return
        self._state.wake.set()

    async def _drain(self, webhook_id: str) -> None:
        while True:
            async with self._state.engine.begin() as conn:
                row = (
                    await conn.execute(
                        sa.select(t.deliveries)
                        .where(
                            t.deliveries.c.webhook_id == webhook_id,
                            t.deliveries.c.state == "pending",
                            t.deliveries.c.next_attempt_ms <= now_ms(),
                        )
                        .order_by(t.deliveries.c.id)
                        .limit(1)
                    )
                ).one_or_none()
            if row is None:
                return
            await self._deliver(row)

    async def _deliver(self, row: Any) -> None:
        error: str | None = None
        try:
            # No Content-Type unless registered on the webhook: API-created Unipile webhooks
            # send none by default.
            response = await self._http.post(
                row.request_url, content=row.body.encode(), headers=row.headers
            )
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        attempts = row.attempts + 1
        config = self._state.config
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if error is None:
            values["state"] = "delivered"
        elif attempts > config.webhook_max_retries:
            values["state"] = "failed"
        else:
            delay = config.webhook_retry_base_seconds * 2 ** (attempts - 1)
            values["next_attempt_ms"] = now_ms() + int(delay * 1000)
        async with self._state.engine.begin() as conn:
            await conn.execute(
                sa.update(t.deliveries).where(t.deliveries.c.id == row.id).values(**values)
            )
        if "next_attempt_ms" in values:
            self._state.wake.set()  # the loop plans its nap around this retry
