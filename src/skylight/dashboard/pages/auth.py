"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from skylight.dashboard import security
from skylight.dashboard.security import PREFIX, SESSION_COOKIE, SIGN_IN_COOKIE, MeChecked
from skylight.dashboard.templating import render
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.errors import Unauthorized
from skylight.users import service as users
from skylight.users.service import TooManyAttempts

router = APIRouter()
SIGN_IN_TOKEN_AGE = 3600


def _form(
    request: Request,
    settings: AppSettings,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = security.new_sign_in_token()
    response = render(
        request,
        "sign_in.html",
        None,
        {"next": next_url, "email": email, "error": error, "sign_in_token": token},
        status_code=status_code,
    )
    security.set_cookie(response, settings, SIGN_IN_COOKIE, token, SIGN_IN_TOKEN_AGE)
    return response


@router.get("/sign-in", include_in_schema=False)
async def sign_in_page(
    request: Request,
    settings: AppSettings,
    db: Db,
    next_url: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    target = security.safe_next(next_url)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token and await users.resolve(db, token) is not None:
        return RedirectResponse(target, status_code=303)
    return _form(request, settings, next_url=target)


@router.post("/sign-in", include_in_schema=False)
async def sign_in(
    request: Request,
    settings: AppSettings,
    db: Db,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    target = security.safe_next(next_url)
    if not security.tokens_match(csrf_token, request.cookies.get(SIGN_IN_COOKIE)):
        error = "The sign-in form expired. Please try again."
        return _form(request, settings, next_url=target, email=email, error=error, status_code=403)
    ip = request.client.host if request.client else "unknown"
    try:
        session_token = await users.sign_in(db, email, password, ip)
    except (Unauthorized, TooManyAttempts) as exc:
        return _form(
            request,
            settings,
            next_url=target,
            email=email,
            error=exc.message,
            status_code=exc.status_code,
        )
    response = RedirectResponse(target, status_code=303)
    security.start_session(response, settings, session_token)
    return response


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request, me: MeChecked, db: Db) -> Response:
    await users.sign_out(db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    security.end_session(response)
    return response


@router.get("/", include_in_schema=False)
async def home() -> Response:
    return RedirectResponse(f"{PREFIX}/inbox", status_code=303)
