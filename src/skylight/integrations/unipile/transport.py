"""One HTTP exchange with Unipile: timeouts, retries, error mapping, redaction.

Retry rule: a request is repeated only when repeating cannot do something twice.
- GET and DELETE: on any transient failure (timeout, dropped connection, 429, 5xx).
- Any method: when the connection was never established (connect error/timeout, pool
  timeout), because the request never reached Unipile.
- Never a POST that may have reached Unipile: a duplicate send is worse than a failed one.
Every attempt is bounded by ``timeout`` and every sleep by a cap, so a call lasts at most about
``(1 + max_retries) * (timeout + backoff_cap)``.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from skylight.integrations.unipile.attachments import Multipart
from skylight.integrations.unipile.errors import (
    UnipileError,
    UnipileProtocolError,
    UnipileRateLimited,
    UnipileTimeout,
    UnipileTransientError,
    UnipileUnreachable,
    error_class_for,
)

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "DELETE"})
# Exceptions raised before any byte of the request reached the server.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_jitter = random.SystemRandom()


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt at Unipile, as the metrics see it. ``error`` is None on a 2xx."""

    method: str
    path: str
    seconds: float
    error: UnipileError | None


# Process-wide, like the metrics registry it feeds; the server installs it (ops.metrics).
_observer: Callable[[Attempt], None] | None = None


def set_attempt_observer(observer: Callable[[Attempt], None] | None) -> None:
    global _observer
    _observer = observer


def _observe(method: str, path: str, started: float, error: UnipileError | None) -> None:
    if _observer is not None:
        _observer(Attempt(method, path, time.perf_counter() - started, error))


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_base: float = 0.2
    backoff_cap: float = 5.0
    retry_after_cap: float = 10.0

    def delay(self, attempt: int, error: UnipileError) -> float:
        if isinstance(error, UnipileRateLimited) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.retry_after_cap)
        # Exponential backoff with jitter so many workers do not retry in lockstep.
        ceiling = min(self.backoff_cap, self.backoff_base * (2.0**attempt))
        return ceiling * _jitter.uniform(0.5, 1.0)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def error_from_response(
    response: httpx.Response, method: str, path: str, secrets: Iterable[str]
) -> UnipileError:
    body: Any = None
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    fields: Mapping[str, Any] = body if isinstance(body, dict) else {}
    error_type = _str_or_none(fields.get("type"))
    title = _str_or_none(fields.get("title")) or response.reason_phrase
    detail = _str_or_none(fields.get("detail"))
    secrets = tuple(secrets)
    summary = f"{response.status_code} {error_type or 'unknown'}: {title}"
    if detail:
        summary += f" ({detail})"
    cls = error_class_for(response.status_code, error_type)
    return cls(
        redact(f"Unipile {method} {path} failed: {summary}", secrets),
        status=response.status_code,
        type=error_type,
        title=redact(title, secrets),
        detail=redact(detail, secrets) if detail else None,
        instance=_str_or_none(fields.get("instance")),
        method=method,
        path=path,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


class Transport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        policy: RetryPolicy,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/") + "/api/v1"
        self._api_key = api_key
        self._timeout = timeout
        self._policy = policy

    def __repr__(self) -> str:
        return f"Transport(base_url={self._base!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        form: Multipart | None = None,
        secrets: Iterable[str] = (),
        max_bytes: int | None = None,
        attempt_seconds: float | None = None,
        retries: int | None = None,
    ) -> Any:
        """Send, retry when safe, return the decoded JSON body of a 2xx answer; with
        `max_bytes`, its raw bytes instead (a binary answer, read no further than that).
        ``attempt_seconds`` replaces the client's timeout for slow calls (a provider login
        takes tens of seconds); ``retries`` the policy's, for callers that retry on their own
        schedule (a background job)."""
        limit = attempt_seconds or self._timeout
        phases: httpx.Timeout | Any = httpx.USE_CLIENT_DEFAULT
        if attempt_seconds is not None:
            phases = httpx.Timeout(attempt_seconds, connect=min(attempt_seconds, 10.0))
        secrets = (self._api_key, *secrets)
        idempotent = method in IDEMPOTENT_METHODS
        headers = {"X-API-KEY": self._api_key, "accept": "application/json"}
        if form is not None:
            headers["content-type"] = form.content_type
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        max_retries = self._policy.max_retries if retries is None else retries
        for attempt in range(max_retries + 1):
            retryable = idempotent
            started = time.perf_counter()
            try:
                # Belt and braces: httpx timeouts are per phase, this bounds the whole attempt.
                async with asyncio.timeout(limit):
                    request = self._http.build_request(
                        method,
                        self._base + path,
                        params=clean_params,
                        json=json_body,
                        content=form.body if form is not None else None,
                        headers=headers,
                        timeout=phases,
                    )
                    response = await self._send(request, max_bytes)
            except NOT_SENT_ERRORS as exc:
                retryable = True
                error: UnipileError = UnipileUnreachable(
                    f"Unipile {method} {path}: cannot connect ({type(exc).__name__})",
                    method=method,
                    path=path,
                )
            except (httpx.TimeoutException, TimeoutError):
                error = UnipileTimeout(
                    f"Unipile {method} {path}: no answer within {limit:g}s",
                    method=method,
                    path=path,
                )
            except httpx.TransportError as exc:
                error = UnipileUnreachable(
                    f"Unipile {method} {path}: connection failed ({type(exc).__name__})",
                    method=method,
                    path=path,
                )
            else:
                logger.debug("unipile %s %s -> %s", method, path, response.status_code)
                if response.is_success:
                    _observe(method, path, started, None)
                    if max_bytes is not None:
                        return response.content
                    return self._decode(response, method, path)
                error = error_from_response(response, method, path, secrets)
            _observe(method, path, started, error)
            retryable = retryable and isinstance(error, UnipileTransientError)
            if not retryable or attempt >= max_retries:
                raise error
            delay = self._policy.delay(attempt, error)
            logger.info("unipile %s %s: %s, retry in %.2fs", method, path, error.message, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: httpx.Request, max_bytes: int | None) -> httpx.Response:
        if max_bytes is None:
            return await self._http.send(request)
        response = await self._http.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise UnipileProtocolError(
                        f"Unipile {request.method} {request.url.path}: the answer is larger "
                        f"than {max_bytes} bytes",
                        status=response.status_code,
                        method=request.method,
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        # Already decoded: the copy must not claim an encoding (or it would be decoded again).
        kept = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(
            response.status_code,
            headers=kept,
            content=b"".join(chunks),
            request=request,
        )

    @staticmethod
    def _decode(response: httpx.Response, method: str, path: str) -> Any:
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type:
            raise UnipileProtocolError(
                f"Unipile {method} {path}: expected JSON, got {content_type or 'no content-type'}",
                status=response.status_code,
                method=method,
                path=path,
            )
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UnipileProtocolError(
                f"Unipile {method} {path}: unparseable JSON body",
                status=response.status_code,
                method=method,
                path=path,
            ) from exc
