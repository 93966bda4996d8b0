"""Wakes stream readers when a workspace has new events. Only a hint: readers always read the
events table, so a lost wake-up delays an event by one poll interval, never loses it.

In one process the wake-up is local (after commit). Across processes on PostgreSQL it is
LISTEN/NOTIFY: no extra infrastructure, delivered only for committed transactions, which is
exactly when an event becomes readable. (Redis pub/sub would need Redis in every deployment.)"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from skylight.events.repository import NOTIFY_CHANNEL

logger = logging.getLogger("skylight.events")
PENDING_KEY = "skylight.events.workspaces"


class Notifier:
    def __init__(self) -> None:
        self._waiters: dict[int, set[asyncio.Event]] = defaultdict(set)

    def wake(self, workspace_id: int) -> None:
        for waiter in list(self._waiters.get(workspace_id, ())):
            waiter.set()

    @asynccontextmanager
    async def subscription(self, workspace_id: int) -> AsyncIterator[asyncio.Event]:
        waiter = asyncio.Event()
        self._waiters[workspace_id].add(waiter)
        try:
            yield waiter
        finally:
            self._waiters[workspace_id].discard(waiter)

    def install_local_hook(self, session_class: type[Session]) -> None:
        """Wake this process's readers right after a transaction that emitted events commits."""

        @sa_event.listens_for(session_class, "after_commit")
        def _after_commit(session: Session) -> None:
            for workspace_id in session.info.pop(PENDING_KEY, set()):
                self.wake(workspace_id)

        @sa_event.listens_for(session_class, "after_rollback")
        def _after_rollback(session: Session) -> None:
            session.info.pop(PENDING_KEY, None)

    @asynccontextmanager
    async def listening(self, engine: AsyncEngine) -> AsyncIterator[None]:
        """On PostgreSQL, LISTEN on a dedicated connection for the other processes' events."""
        if engine.dialect.name != "postgresql":
            yield
            return

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            with contextlib.suppress(ValueError):
                self.wake(int(payload))

        # Through AsyncConnection, so the connection goes back to the pool inside SQLAlchemy's
        # async context (a raw close() here would fail with MissingGreenlet at shutdown).
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.add_listener(NOTIFY_CHANNEL, on_notify)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    await driver.remove_listener(NOTIFY_CHANNEL, on_notify)


def mark_pending(session_info: dict[str, Any], workspace_id: int) -> None:
    session_info.setdefault(PENDING_KEY, set()).add(workspace_id)
