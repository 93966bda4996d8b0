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
from sqlalchemy.orm import Session

from skylight.events.repository import NOTIFY_CHANNEL
from skylight.kit.signals import Signals

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

    def attach(self, signals: Signals) -> None:
        """Other processes' events arrive as NOTIFY on PostgreSQL (kit.signals keeps the LISTEN
        connection open across database restarts)."""
        signals.subscribe(NOTIFY_CHANNEL, self._on_signal)

    def _on_signal(self, payload: str | None) -> None:
        if payload is None:  # the LISTEN connection was re-opened: anything may have been missed
            for workspace_id in list(self._waiters):
                self.wake(workspace_id)
            return
        with contextlib.suppress(ValueError):
            self.wake(int(payload))


def mark_pending(session_info: dict[str, Any], workspace_id: int) -> None:
    session_info.setdefault(PENDING_KEY, set()).add(workspace_id)
