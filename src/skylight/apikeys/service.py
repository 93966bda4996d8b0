"""Keys are random 256-bit tokens, so a fast hash (SHA-256) is as safe as a slow one and lets
every request look its key up by an index instead of checking candidates one by one."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.apikeys.cache import callers
from skylight.apikeys.models import ApiKey
from skylight.apikeys.repository import ApiKeyRepository
from skylight.kit.db import Database
from skylight.kit.errors import NotFound, Unauthorized, Unprocessable, field_error
from skylight.kit.time import utcnow
from skylight.workspaces.models import Workspace

KeyMode = Literal["live", "test"]
_PREFIX_LENGTH = 12


@dataclass(frozen=True)
class Caller:
    """Who is calling: the workspace every query of the request is scoped to."""

    workspace_id: int
    workspace_slug: str
    workspace_timezone: str
    api_key_id: int


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    session: AsyncSession, workspace: Workspace, name: str, mode: KeyMode
) -> CreatedKey:
    name = name.strip()
    if not name or len(name) > 100:
        raise Unprocessable("Invalid key name.", errors=field_error("name", "1 to 100 characters."))
    secret = f"sk_{mode}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        workspace_id=workspace.id,
        name=name,
        prefix=secret[:_PREFIX_LENGTH],
        key_hash=hash_key(secret),
    )
    await ApiKeyRepository(session).add(key)
    return CreatedKey(key=key, secret=secret)


_WRONG_MODE = {
    "live": "This is a test key (sk_test_...): this server talks to the real Unipile and "
    "takes live keys (sk_live_...) only.",
    "test": "This is a live key (sk_live_...): this server is a sandbox (simulated Unipile) "
    "and takes test keys (sk_test_...) only.",
}


def _checked(secret: str | None, mode: KeyMode) -> str:
    """The key's hash, once it may be looked up at all."""
    if not secret:
        raise Unauthorized(
            "Missing API key. Send it as 'Authorization: Bearer <key>' or 'X-Api-Key'."
        )
    other: KeyMode = "test" if mode == "live" else "live"
    if secret.startswith(f"sk_{other}_"):
        raise Unauthorized(_WRONG_MODE[mode])
    # Bound the work an attacker can make us do before the lookup.
    if len(secret) > 200:
        raise Unauthorized("Invalid or revoked API key.")
    return hash_key(secret)


async def identify(
    db: Database, secret: str | None, mode: KeyMode, *, cache_seconds: float
) -> Caller:
    """`authenticate` in a read of its own, or from memory: known keys are remembered for
    `cache_seconds` (apikeys.cache)."""
    key_hash = _checked(secret, mode)
    caller = callers.get(key_hash)
    if caller is not None:
        return caller
    generation = callers.generation
    async with db.read() as session:
        caller = await _lookup(session, key_hash)
    callers.put(key_hash, caller, cache_seconds, generation)
    return caller


async def authenticate(session: AsyncSession, secret: str | None, mode: KeyMode) -> Caller:
    """The caller of a key. A key of the other mode is refused whatever it is: a test key
    must never send real messages, nor a live key's integration run against a simulator."""
    return await _lookup(session, _checked(secret, mode))


async def _lookup(session: AsyncSession, key_hash: str) -> Caller:
    found = await ApiKeyRepository(session).active_by_hash(key_hash)
    if found is None:
        raise Unauthorized("Invalid or revoked API key.")
    key, workspace = found
    return Caller(
        workspace_id=workspace.id,
        workspace_slug=workspace.slug,
        workspace_timezone=workspace.timezone,
        api_key_id=key.id,
    )


async def is_active(session: AsyncSession, api_key_id: int) -> bool:
    """Still usable: not revoked (for long-lived requests such as the event stream). A key
    found revoked (perhaps by another process) is forgotten by this process's cache too."""
    key = await ApiKeyRepository(session).get(api_key_id)
    active = key is not None and key.revoked_at is None
    if not active:
        callers.forget_key(api_key_id)
    return active


async def list_keys(session: AsyncSession, *, workspace_id: int | None = None) -> Sequence[ApiKey]:
    return await ApiKeyRepository(session).list(workspace_id=workspace_id)


async def revoke_key(
    session: AsyncSession, key_id: int, *, workspace_id: int | None = None
) -> ApiKey:
    key = await ApiKeyRepository(session).get(key_id, workspace_id=workspace_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    callers.forget_key_at_commit(session, key.id)
    return key
