"""Called by authentication (apikeys.dependencies): the per-key budget after a key is known,
the per-IP budget of failed attempts after a wrong key. A valid key is never refused because
of its IP, so clients behind one NAT or a misconfigured proxy cannot lock each other out."""

from __future__ import annotations

from fastapi import Request

from skylight.ratelimit.limiter import Quota, RateLimiter

STATE_KEY = "rate_limit"


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def _remember(request: Request, quota: Quota | None) -> None:
    if quota is not None:
        setattr(request.state, STATE_KEY, quota)


async def spend_key_quota(request: Request, api_key_id: int) -> None:
    limiter = _limiter(request)
    _remember(request, await limiter.hit(limiter.per_key, "key", str(api_key_id)))


async def spend_failed_auth_quota(request: Request) -> None:
    """Raises TooManyRequests (instead of the 401) once the IP has used its budget."""
    limiter = _limiter(request)
    client_ip = request.client.host if request.client else "unknown"
    _remember(request, await limiter.hit(limiter.failed_auth, "failed_auth", client_ip))
