"""Which endpoints of a workspace want its events, remembered by this process (every event
asks, and they seldom change).

A change to a workspace's endpoints (create, update, delete, disable) forgets them at once and
again once it commits; the commit also reaches the other processes (kit.signals: a NOTIFY on
PostgreSQL). A lookup that began before a change is not remembered, and nothing is remembered
for longer than TTL_SECONDS, so a process that missed a wake-up (SQLite has no NOTIFY between
processes) catches up by then."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.kit.signals import announce

CHANNEL = "skylight_webhook_endpoints"
TTL_SECONDS = 5.0
# (endpoint id, its event types as stored: a JSON list)
Endpoints = Sequence[tuple[int, str]]


class EndpointCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[int, tuple[Endpoints, float]] = {}
        # Bumped by every change: a lookup that began before one is not remembered.
        self.generation = 0

    def get(self, workspace_id: int) -> Endpoints | None:
        found = self._entries.get(workspace_id)
        if found is None or self._clock() >= found[1]:
            return None
        return found[0]

    def remembers(self, workspace_id: int) -> bool:
        """Whether an entry is kept (expired or not)."""
        return workspace_id in self._entries

    def put(self, workspace_id: int, endpoints: Endpoints, generation: int) -> None:
        if generation == self.generation:
            self._entries[workspace_id] = (tuple(endpoints), self._clock() + TTL_SECONDS)

    def forget(self, workspace_id: int | None) -> None:
        """One workspace's, or (None) everyone's."""
        self.generation += 1
        if workspace_id is None:
            self._entries.clear()
        else:
            self._entries.pop(workspace_id, None)

    def changed(self, session: AsyncSession, workspace_id: int) -> None:
        """The workspace's endpoints change in this transaction: forget them now, and (through
        the signal, here and in every process) once it commits."""
        self.forget(workspace_id)
        announce(session, CHANNEL, str(workspace_id))

    def on_signal(self, payload: str | None) -> None:
        """kit.signals subscriber; None (the LISTEN connection was re-opened) forgets all."""
        try:
            self.forget(int(payload) if payload else None)
        except ValueError:
            self.forget(None)


endpoints = EndpointCache()
