"""The sign-in throttle holds under concurrency: guesses sent all at once are checked no more
times than the limit allows (each check is an argon2 verification)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from skylight.kit.db import Database
from skylight.kit.errors import SkylightError, Unauthorized
from skylight.users.service import (
    MAX_FAILURES_PER_EMAIL,
    TooManyAttempts,
    sign_in,
)
from tests.dashboard.helpers import make_login, random_ip
from tests.factories import make_tenant

pytestmark = pytest.mark.both_databases


async def _outcomes(db: Database, attempts: list[tuple[str, str, str]]) -> list[str]:
    async def one(email: str, password: str, ip: str) -> str:
        try:
            await sign_in(db, email, password, ip)
        except (Unauthorized, TooManyAttempts) as exc:
            return type(exc).__name__
        except SkylightError as exc:  # pragma: no cover - any other answer fails the test
            return repr(exc)
        return "signed in"

    return await asyncio.gather(*(one(*attempt) for attempt in attempts))


async def test_thirty_concurrent_guesses_at_one_email_check_only_five(app: FastAPI) -> None:
    login = await make_login(app.state.sessionmaker, await make_tenant(app.state.sessionmaker))
    guesses = [(login.email, f"guess {n}", random_ip()) for n in range(30)]
    outcomes = await _outcomes(app.state.db, guesses)
    assert outcomes.count("Unauthorized") == MAX_FAILURES_PER_EMAIL
    assert outcomes.count("TooManyAttempts") == 30 - MAX_FAILURES_PER_EMAIL
    # The right password is refused too until the window ends.
    assert await _outcomes(app.state.db, [(login.email, login.password, random_ip())]) == [
        "TooManyAttempts"
    ]
