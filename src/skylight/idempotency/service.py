"""Idempotency-Key, as Stripe does it: the first response is stored for 24 hours and replayed;
the same key with another request is 422; a key whose request is still running is 409.

An operation that fails with a client error (e.g. unknown contact) releases the key, so the
caller can fix the request and retry. One that dies unexpectedly keeps it claimed: we cannot
know whether it reached Unipile, and never sending twice wins."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from skylight.idempotency.repository import IdempotencyRepository
from skylight.kit.db import Database
from skylight.kit.errors import Conflict, SkylightError, Unprocessable, field_error
from skylight.kit.time import utcnow

TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"
# The response as sent (status, JSON body): what a replay answers, byte for byte the same.
Rendered = tuple[int, dict[str, Any]]


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run(
    db: Database,
    workspace_id: int,
    key: str | None,
    request_fingerprint: str,
    operation: Callable[[], Awaitable[Rendered]],
) -> tuple[Rendered, bool]:
    """The outcome, and whether it was replayed from the first request."""
    if key is None:
        return await operation(), False
    now = utcnow()
    async with db.transaction() as session:
        repo = IdempotencyRepository(session, workspace_id)
        row_id = await repo.claim(key, request_fingerprint, now, now - TTL)
        if row_id is None:
            existing = await repo.by_key(key)
            if existing is None:  # expired and deleted between our two statements
                raise Conflict("This Idempotency-Key is being reused right now; retry.")
            if existing.fingerprint != request_fingerprint:
                raise Unprocessable(
                    "This Idempotency-Key was already used with a different request.",
                    errors=field_error(HEADER, "Use a new key for a different request."),
                )
            if existing.response_status is None or existing.response_body is None:
                raise Conflict("A request with this Idempotency-Key is still in progress.")
            return (existing.response_status, json.loads(existing.response_body)), True
    try:
        outcome = await operation()
    except SkylightError:
        async with db.transaction() as session:
            await IdempotencyRepository(session, workspace_id).release(row_id)
        raise
    async with db.transaction() as session:
        await IdempotencyRepository(session, workspace_id).complete(
            row_id, outcome[0], json.dumps(outcome[1])
        )
    return outcome, False
