"""A clock that moves only when a test says so: leases, intervals and expiry in milliseconds."""

from __future__ import annotations

from datetime import datetime, timedelta

from skylight.kit.time import utcnow


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
