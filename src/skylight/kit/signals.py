"""Wake-ups that follow commits: `announce(session, channel, payload)` inside a transaction, and
once it commits this process's subscribers of the channel are called; on PostgreSQL a NOTIFY,
sent with the commit, reaches the other processes' subscribers too (one LISTEN connection per
process, re-opened whenever it drops).

Only hints: whoever is woken reads the database, and a lost wake-up (e.g. while the LISTEN
connection was being re-opened) costs at most the reader's fallback poll. After a reconnect
every subscriber is called with None, meaning "you may have missed some"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from skylight.kit.loops import Loops

logger = logging.getLogger("skylight.signals")

_PENDING = "skylight.signals.pending"
# How often the LISTEN connection is pinged: a dead peer that never closed shows up by then.
PING_SECONDS = 15.0

Subscriber = Callable[[str | None], None]


def announce(session: AsyncSession | Session, channel: str, payload: str = "") -> None:
    """Wake `channel`'s subscribers once this transaction commits (never if it rolls back)."""
    session.info.setdefault(_PENDING, set()).add((channel, payload))


class Signals:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)
        self.listening = False

    def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        self._subscribers[channel].append(subscriber)

    def unsubscribe(self, channel: str, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers.get(channel, ()):
            self._subscribers[channel].remove(subscriber)

    def publish(self, channel: str, payload: str | None) -> None:
        for subscriber in list(self._subscribers.get(channel, ())):
            try:
                subscriber(payload)
            except Exception:  # one subscriber's bug must not stop the others' wake-ups
                logger.exception("signal subscriber of %s failed", channel)

    def install(self, session_class: type[Session], engine: AsyncEngine) -> None:
        postgres = engine.dialect.name == "postgresql"

        @sa_event.listens_for(session_class, "before_commit")
        def _before_commit(session: Session) -> None:
            pending = session.info.get(_PENDING)
            if not pending or not postgres:
                return
            # One statement for all of them; PostgreSQL delivers them only if this commits.
            calls, params = [], {}
            for n, (channel, payload) in enumerate(sorted(pending)):
                calls.append(f"pg_notify(:c{n}, :p{n})")
                params[f"c{n}"], params[f"p{n}"] = channel, payload
            session.execute(text("SELECT " + ", ".join(calls)), params)

        @sa_event.listens_for(session_class, "after_commit")
        def _after_commit(session: Session) -> None:
            for channel, payload in session.info.pop(_PENDING, set()):
                self.publish(channel, payload)

        @sa_event.listens_for(session_class, "after_rollback")
        def _after_rollback(session: Session) -> None:
            session.info.pop(_PENDING, None)

    def listen(self, engine: AsyncEngine, loops: Loops) -> None:
        """On PostgreSQL, a supervised loop holding one LISTEN connection for every channel
        subscribed so far; SQLite has a single process, whose commits publish locally."""
        if engine.dialect.name == "postgresql":
            listener = _Listener(self, engine)
            loops.start("signals.listen", listener.step, period=PING_SECONDS)


class _Listener:
    """One LISTEN connection. Each step either opens it, or watches it for one ping period (so
    the loop's health shows a live connection), closing it and raising when it drops: the loop
    backs off and the next step opens a new one."""

    def __init__(self, signals: Signals, engine: AsyncEngine) -> None:
        self._signals = signals
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._driver: Any = None
        self._channels: list[str] = []
        self._lost = asyncio.Event()

    def _on_notify(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self._signals.publish(channel, payload)

    async def step(self) -> None:
        try:
            if self._connection is None:
                await self._open()
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PING_SECONDS):
                    await self._lost.wait()
            if self._lost.is_set():
                raise ConnectionError("the LISTEN connection was closed")
            async with asyncio.timeout(PING_SECONDS):
                await self._driver.execute("SELECT 1")
        except BaseException:
            await self._close()
            raise

    async def _open(self) -> None:
        self._lost = asyncio.Event()
        lost = self._lost
        # Through AsyncConnection, so the connection goes back to the pool inside SQLAlchemy's
        # async context (a raw close() would fail with MissingGreenlet).
        self._connection = await self._engine.connect()
        raw = await self._connection.get_raw_connection()
        self._driver = raw.driver_connection
        self._driver.add_termination_listener(lambda _conn: lost.set())
        self._channels = list(self._signals._subscribers)
        for channel in self._channels:
            await self._driver.add_listener(channel, self._on_notify)
        self._signals.listening = True
        # Anything committed while we were not listening was missed: look again.
        for channel in self._channels:
            self._signals.publish(channel, None)

    async def _close(self) -> None:
        self._signals.listening = False
        connection, driver = self._connection, self._driver
        self._connection, self._driver = None, None
        if driver is not None:
            with contextlib.suppress(Exception):
                for channel in self._channels:
                    await driver.remove_listener(channel, self._on_notify)
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()
