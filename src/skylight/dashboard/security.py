"""Who is signed in (the session cookie) and whether a state change came from our own pages (the
per-session CSRF token, in a form field or the X-CSRF-Token header htmx sends)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from skylight.kit.dependencies import Db
from skylight.kit.logging import workspace_id_var
from skylight.kit.settings import Settings
from skylight.users import service as users
from skylight.users.service import SESSION_LIFETIME, SignedIn

PREFIX = "/dashboard"
SESSION_COOKIE = "skylight_session"
# The sign-in form has no session yet: its token is a double-submit cookie instead.
SIGN_IN_COOKIE = "skylight_sign_in"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in form."""


class CsrfRefused(Exception):
    """A state change without the session's token: refused with 403."""


def secure_cookies(settings: Settings) -> bool:
    return settings.resolved_public_url.startswith("https://")


def set_cookie(response: Response, settings: Settings, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def start_session(response: Response, settings: Settings, token: str) -> None:
    set_cookie(response, settings, SESSION_COOKIE, token, int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(32)


def safe_next(value: str | None) -> str:
    """Only a path of the dashboard itself: never an open redirect to another site."""
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return PREFIX + "/inbox"


def sign_in_url(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return f"{PREFIX}/sign-in?next={quote(safe_next(path), safe='/')}"


def tokens_match(sent: str | None, expected: str | None) -> bool:
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


async def sent_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def _signed_in(request: Request, db: Db) -> SignedIn:
    token = request.cookies.get(SESSION_COOKIE, "")
    me = await users.resolve(db, token) if token else None
    if me is None:
        raise SignInRequired()
    request.state.workspace_id = me.workspace_id
    workspace_id_var.set(me.workspace_id)  # logs, and the sandbox's calls (sandbox.tenancy)
    return me


async def _checked(request: Request, me: Annotated[SignedIn, Depends(_signed_in)]) -> SignedIn:
    if not tokens_match(await sent_token(request), me.csrf_token):
        await request.close()  # a refused upload's spooled files
        raise CsrfRefused()
    return me


# Pages that only read; and every request that changes something (POST), checked for CSRF.
Me = Annotated[SignedIn, Depends(_signed_in)]
MeChecked = Annotated[SignedIn, Depends(_checked)]
