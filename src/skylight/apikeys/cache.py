"""Who a key is, remembered for a few seconds so a busy client is not looked up per request.

Only known, active keys are remembered (a wrong key is looked up, and spends its IP's budget,
every time). Process-wide, like the connection pool: a revocation in this process (the
dashboard, an in-process CLI) forgets the key at once and again when its transaction commits,
so a lookup racing the revocation cannot put it back. Another process (a second server, the
CLI on the same database) stops accepting it within ``SKYLIGHT_API_KEY_CACHE_SECONDS``."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from skylight.apikeys.service import Caller

MAX_ENTRIES = 10_000


class CallerCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # key hash -> (caller, expires at), oldest first
        self._entries: OrderedDict[str, tuple[Caller, float]] = OrderedDict()
        # Bumped by every revocation: a lookup that began before one is not remembered.
        self.generation = 0

    def get(self, key_hash: str) -> Caller | None:
        found = self._entries.get(key_hash)
        if found is None:
            return None
        caller, expires = found
        if self._clock() >= expires:
            del self._entries[key_hash]
            return None
        return caller

    def put(self, key_hash: str, caller: Caller, seconds: float, generation: int) -> None:
        if seconds <= 0 or generation != self.generation:
            return
        self._entries[key_hash] = (caller, self._clock() + seconds)
        self._entries.move_to_end(key_hash)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def forget_key(self, api_key_id: int) -> None:
        self.generation += 1
        for key_hash, (caller, _) in list(self._entries.items()):
            if caller.api_key_id == api_key_id:
                del self._entries[key_hash]

    def forget_key_at_commit(self, session: AsyncSession, api_key_id: int) -> None:
        """Forget it now, and once more when the session's transaction commits."""
        self.forget_key(api_key_id)

        def after_commit(_session: Any) -> None:
            self.forget_key(api_key_id)

        event.listen(session.sync_session, "after_commit", after_commit, once=True)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()


callers = CallerCache()
