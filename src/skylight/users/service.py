"""Sign-in rules: argon2 password hashes, random session tokens stored hashed, and a limit on
failed attempts per email and per client address.

Hashing and verifying take tens of milliseconds of CPU on purpose, so they run in a thread:
the event loop keeps serving other requests meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import ClassVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.apikeys.service import Caller
from skylight.kit.db import Database
from skylight.kit.errors import (
    Conflict,
    NotFound,
    SkylightError,
    Unauthorized,
    Unprocessable,
    field_error,
)
from skylight.kit.time import utcnow
from skylight.users.models import SignInFailure, User, UserSession
from skylight.users.repository import UserRepository
from skylight.workspaces.models import Workspace

SESSION_LIFETIME = timedelta(days=14)
FAILURE_WINDOW = timedelta(minutes=15)
# One email is guessed at by one attacker; one address may be an office behind one NAT.
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Not a user's caller: Caller.api_key_id names the key of an API request; a session has none.
NO_API_KEY = 0

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so the answer takes as long as for a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


class TooManyAttempts(SkylightError):
    status_code: ClassVar[int] = 429
    code: ClassVar[str] = "too_many_attempts"


WRONG_CREDENTIALS = "Wrong email or password."
LOCKED = (
    "Too many failed sign-in attempts. Wait 15 minutes, then try again "
    "(or ask an operator to reset your password with `skylight users set-password`)."
)


@dataclass(frozen=True)
class SignedIn:
    """The user behind a dashboard request, and the workspace every page is scoped to."""

    user_id: int
    email: str
    workspace_id: int
    workspace_slug: str
    workspace_name: str
    workspace_timezone: str
    csrf_token: str

    @property
    def caller(self) -> Caller:
        return Caller(
            workspace_id=self.workspace_id,
            workspace_slug=self.workspace_slug,
            workspace_timezone=self.workspace_timezone,
            api_key_id=NO_API_KEY,
        )


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise Unprocessable(
            "Invalid email address.", errors=field_error("email", "Give an address like a@b.c.")
        )
    return email


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise Unprocessable(
            "The password is too short.",
            errors=field_error("password", f"At least {MIN_PASSWORD_LENGTH} characters."),
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def _needs_rehash(password_hash: str | None) -> bool:
    """True when the hash was made with older (weaker) parameters than the current ones."""
    return password_hash is not None and _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


async def create_user(
    session: AsyncSession, workspace: Workspace, email: str, password: str
) -> User:
    email = normalize_email(email)
    _check_password(password)
    repo = UserRepository(session)
    if await repo.by_email(email) is not None:
        raise Conflict(
            "A user with this email exists already.",
            errors=field_error("email", "Already used."),
        )
    user = User(workspace_id=workspace.id, email=email, password_hash=await hash_password(password))
    await repo.add(user)
    return user


async def set_password(session: AsyncSession, email: str, password: str) -> User:
    """A new password; every session of the user ends and its failed attempts are forgotten."""
    _check_password(password)
    repo = UserRepository(session)
    user = await repo.by_email(normalize_email(email))
    if user is None:
        raise NotFound(f"No user with email '{email.strip()}'.")
    user.password_hash = await hash_password(password)
    await repo.delete_sessions_of(user.id)
    await repo.clear_failures(user.email)
    await session.flush()
    return user


async def list_users(
    session: AsyncSession, workspace_id: int | None = None
) -> Sequence[tuple[User, Workspace]]:
    return await UserRepository(session).for_workspace(workspace_id)


async def sign_in(db: Database, email: str, password: str, ip: str) -> str:
    """A new session's token, to set as the cookie. Refused while the email or the address
    has too many recent failures, whatever the password (else guessing could go on).

    Every attempt is recorded as a failure BEFORE its password is checked, in the transaction
    that counted the earlier ones (serialised), so concurrent guesses cannot all pass the
    count: at most the limit are ever verified. A success then forgets the email's failures."""
    email = email.strip().lower()[:254]
    now = utcnow()
    async with db.transaction() as session:
        repo = UserRepository(session)
        await repo.serialize_sign_ins()
        by_email, by_ip = await repo.failures_since(now - FAILURE_WINDOW, email=email, ip=ip)
        locked = by_email >= MAX_FAILURES_PER_EMAIL or by_ip >= MAX_FAILURES_PER_IP
        user = None
        if not locked:
            await repo.prune_failures(now - FAILURE_WINDOW)
            await repo.add(SignInFailure(email=email, ip=ip[:64], created_at=now))
            user = await repo.by_email(email)
        stored = user.password_hash if user else None
    if locked:
        raise TooManyAttempts(LOCKED)
    against = stored if stored is not None else await asyncio.to_thread(_dummy_hash)
    ok = await _verify(against, password) and stored is not None
    if not ok or user is None:
        raise Unauthorized(WRONG_CREDENTIALS)  # its failure is recorded already
    rehashed = await hash_password(password) if _needs_rehash(stored) else None
    async with db.transaction() as session:
        repo = UserRepository(session)
        token = secrets.token_urlsafe(32)
        await repo.delete_expired_sessions(now)
        await repo.clear_failures(email)
        await repo.add(
            UserSession(
                user_id=user.id,
                token_hash=hash_token(token),
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
        fresh = await session.get(User, user.id)
        if fresh is not None:
            fresh.last_signed_in_at = now
            fresh.password_hash = rehashed or fresh.password_hash
    return token


async def resolve(db: Database, token: str) -> SignedIn | None:
    """The signed-in user of a session cookie, or None (unknown, expired or signed out)."""
    if not token or len(token) > 200:
        return None
    async with db.transaction() as session:
        found = await UserRepository(session).session_by_hash(hash_token(token), utcnow())
    if found is None:
        return None
    user_session, user, workspace = found
    return SignedIn(
        user_id=user.id,
        email=user.email,
        workspace_id=workspace.id,
        workspace_slug=workspace.slug,
        workspace_name=workspace.name,
        workspace_timezone=workspace.timezone,
        csrf_token=user_session.csrf_token,
    )


async def sign_out(db: Database, token: str) -> None:
    async with db.transaction() as session:
        await UserRepository(session).delete_session(hash_token(token))


DEFAULT_EMAIL = "admin@example.com"


async def first_login(session: AsyncSession, workspace: Workspace) -> tuple[str, str] | None:
    """A login with a generated password for a workspace that has none yet (the first `make
    run`); (email, password), the password to be shown once. None when it has one."""
    repo = UserRepository(session)
    if await repo.for_workspace(workspace.id) or await repo.by_email(DEFAULT_EMAIL):
        return None
    password = generate_password()
    await create_user(session, workspace, DEFAULT_EMAIL, password)
    return DEFAULT_EMAIL, password
