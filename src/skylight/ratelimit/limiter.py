"""Fixed-window rate limits on the `limits` library, in Redis when SKYLIGHT_REDIS_URL is set
(one budget shared by every process) and in this process's memory otherwise.

Redis trouble never takes the API down: the limiter fails open, logs and counts the error."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from prometheus_client import Counter

from skylight.kit.errors import SkylightError
from skylight.kit.settings import Settings

logger = logging.getLogger(__name__)

REJECTED = Counter(
    "skylight_rate_limit_rejections", "Requests refused with 429, by limit.", ["limit"]
)
STORAGE_ERRORS = Counter(
    "skylight_rate_limit_storage_errors", "Rate-limit checks skipped because Redis failed."
)


class TooManyRequests(SkylightError):
    status_code = 429
    code = "rate_limited"


@dataclass(frozen=True)
class Quota:
    """What is left of one budget; rendered as the RateLimit-* headers."""

    limit: int
    remaining: int
    reset_after: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }


class RateLimiter:
    def __init__(self, storage: Storage, *, per_key: RateLimitItem, failed_auth: RateLimitItem):
        self._strategy = FixedWindowRateLimiter(storage)
        self.per_key = per_key
        self.failed_auth = failed_auth

    async def hit(self, item: RateLimitItem, scope: str, identity: str) -> Quota | None:
        """Spend one unit; raise TooManyRequests when the budget was already spent.
        None when the storage failed (the request goes through)."""
        try:
            allowed = await self._strategy.hit(item, scope, identity)
            stats = await self._strategy.get_window_stats(item, scope, identity)
        except StorageError as exc:
            STORAGE_ERRORS.inc()
            logger.warning("rate limit storage failed, not limiting: %s", exc)
            return None
        quota = Quota(
            limit=item.amount,
            remaining=stats.remaining,
            reset_after=max(0, math.ceil(stats.reset_time - time.time())),
        )
        if not allowed:
            REJECTED.labels(scope).inc()
            wait = max(1, quota.reset_after)
            raise TooManyRequests(
                f"Too many requests. Retry in {wait} seconds.",
                headers={"Retry-After": str(wait), **quota.headers()},
            )
        return quota


@asynccontextmanager
async def open_rate_limiter(settings: Settings) -> AsyncIterator[RateLimiter]:
    per_key = parse(settings.rate_limit_per_key)
    failed_auth = parse(settings.rate_limit_failed_auth_per_ip)
    if settings.redis_url is None:
        yield RateLimiter(MemoryStorage(), per_key=per_key, failed_auth=failed_auth)
        return
    # Short socket timeouts: a hung Redis must cost a request milliseconds, not seconds.
    pool = redis.asyncio.ConnectionPool.from_url(
        settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    options: dict[str, Any] = {"connection_pool": pool}
    storage = RedisStorage(
        "async+" + settings.redis_url,
        implementation="redispy",
        key_prefix=settings.redis_key_prefix,
        wrap_exceptions=True,
        **options,
    )
    try:
        yield RateLimiter(storage, per_key=per_key, failed_auth=failed_auth)
    finally:
        await pool.aclose()
