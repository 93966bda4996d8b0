"""Sign-in without a browser: the failure limit, CSRF refusals, sign-out, the cookie, and what
is stored of a session."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.dashboard.security import SESSION_COOKIE
from skylight.kit.db import transaction
from skylight.users.models import UserSession
from skylight.users.service import LOCKED, MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_IP
from tests.dashboard.helpers import (
    Login,
    browserless,
    csrf_token,
    post_sign_in,
    random_ip,
    signed_in,
)


async def test_wrong_password_is_refused_and_the_form_shows_why(app: FastAPI, login: Login) -> None:
    async with browserless(app) as http:
        response = await post_sign_in(http, login.email, "not the password")
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        assert SESSION_COOKIE not in http.cookies
        unknown = await post_sign_in(http, "nobody@example.com", login.password)
        assert unknown.status_code == 401
        assert "Wrong email or password." in unknown.text  # the same answer: no enumeration


async def test_five_failures_lock_the_email_even_for_the_right_password(
    app: FastAPI, login: Login
) -> None:
    async with browserless(app) as http:
        for _ in range(MAX_FAILURES_PER_EMAIL):
            assert (await post_sign_in(http, login.email, "guess")).status_code == 401
        locked = await post_sign_in(http, login.email, login.password)
        assert locked.status_code == 429
        assert LOCKED.split(".")[0] in locked.text
        assert SESSION_COOKIE not in http.cookies
    # Another address is locked out too: the limit is on the email, not the connection.
    async with browserless(app) as other:
        assert (await post_sign_in(other, login.email, login.password)).status_code == 429


async def test_one_address_guessing_many_emails_is_locked(app: FastAPI, login: Login) -> None:
    ip = random_ip()
    async with browserless(app, ip) as http:
        for n in range(MAX_FAILURES_PER_IP):
            assert (await post_sign_in(http, f"guess-{n}@example.com", "x")).status_code == 401
        assert (await post_sign_in(http, login.email, login.password)).status_code == 429
    async with browserless(app) as elsewhere:  # the user, from their own address
        assert (await post_sign_in(elsewhere, login.email, login.password)).status_code == 303


async def test_a_success_forgets_the_earlier_failures_of_the_email(
    app: FastAPI, login: Login
) -> None:
    async with browserless(app) as http:
        for _ in range(MAX_FAILURES_PER_EMAIL - 1):
            assert (await post_sign_in(http, login.email, "typo")).status_code == 401
        assert (await post_sign_in(http, login.email, login.password)).status_code == 303
    async with browserless(app) as later:
        for _ in range(MAX_FAILURES_PER_EMAIL - 1):
            assert (await post_sign_in(later, login.email, "typo")).status_code == 401
        assert (await post_sign_in(later, login.email, login.password)).status_code == 303


async def test_the_session_cookie_and_what_is_stored(
    app: FastAPI, login: Login, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with browserless(app) as http:
        response = await post_sign_in(http, login.email, login.password)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/inbox"
        cookie = next(
            value
            for name, value in response.headers.multi_items()
            if name == "set-cookie" and value.startswith(SESSION_COOKIE + "=")
        )
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "path", "max-age"} <= attributes
        assert "samesite=lax" in cookie.lower()
        assert "path=/dashboard" in cookie.lower()
        assert "secure" not in attributes  # the test server's public URL is http://
        token = http.cookies[SESSION_COOKIE]
    async with transaction(sessionmaker) as session:
        stored = (await session.scalars(select(UserSession.token_hash))).all()
    assert token not in stored  # only its hash is kept
    assert len(token) >= 40


async def test_state_changes_need_the_sessions_csrf_token(app: FastAPI, login: Login) -> None:
    async with browserless(app) as http:
        token = await signed_in(http, login)
        missing = await http.post("/dashboard/settings/api-keys", data={"name": "no token"})
        assert missing.status_code == 403
        assert "nothing was changed" in missing.text
        wrong = await http.post(
            "/dashboard/settings/api-keys", data={"name": "wrong", "csrf_token": "x" * 43}
        )
        assert wrong.status_code == 403
        by_header = await http.post(
            "/dashboard/settings/api-keys",
            data={"name": "by header"},
            headers={"X-CSRF-Token": token},
        )
        assert by_header.status_code == 201
        by_field = await http.post(
            "/dashboard/settings/api-keys", data={"name": "by field", "csrf_token": token}
        )
        assert by_field.status_code == 201
        page = (await http.get("/dashboard/settings/api-keys")).text
        assert "by header" in page
        assert "by field" in page
        assert "no token" not in page
        assert ">wrong<" not in page


async def test_the_sign_in_form_needs_its_own_token(app: FastAPI, login: Login) -> None:
    async with browserless(app) as http:
        forged = await http.post(
            "/dashboard/sign-in", data={"email": login.email, "password": login.password}
        )
        assert forged.status_code == 403
        assert SESSION_COOKIE not in http.cookies


async def test_sign_out_ends_the_session_on_the_server(app: FastAPI, login: Login) -> None:
    async with browserless(app) as http:
        token = await signed_in(http, login)
        cookie = http.cookies[SESSION_COOKIE]
        refused = await http.post("/dashboard/sign-out")  # without the token: not signed out
        assert refused.status_code == 403
        assert (await http.get("/dashboard/inbox")).status_code == 200
        out = await http.post("/dashboard/sign-out", data={"csrf_token": token})
        assert out.status_code == 303
        assert out.headers["location"] == "/dashboard/sign-in"
        assert SESSION_COOKIE not in http.cookies
    # The old cookie, replayed, is worth nothing: the session is gone from the database.
    async with browserless(app) as replay:
        replay.cookies.set(SESSION_COOKIE, cookie, path="/dashboard")
        page = await replay.get("/dashboard/inbox")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/dashboard/sign-in?next=/dashboard/inbox")


async def test_pages_and_the_stream_need_a_session(app: FastAPI) -> None:
    async with browserless(app) as http:
        for path in (
            "/dashboard/inbox",
            "/dashboard/settings/channels",
            "/dashboard/campaigns",
            "/dashboard/settings/api-keys",
            "/dashboard/settings/webhooks",
            "/dashboard/events/stream",
        ):
            response = await http.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/dashboard/sign-in"), path
        htmx = await http.get("/dashboard/inbox/list", headers={"HX-Request": "true"})
        assert htmx.headers["HX-Redirect"].startswith("/dashboard/sign-in")
        posted = await http.post("/dashboard/settings/api-keys", data={"name": "x"})
        assert posted.status_code == 303


async def test_next_never_leaves_the_dashboard(app: FastAPI, login: Login) -> None:
    async with browserless(app) as http:
        form = await http.get("/dashboard/sign-in", params={"next": "https://evil.example/"})
        response = await http.post(
            "/dashboard/sign-in",
            data={
                "email": login.email,
                "password": login.password,
                "csrf_token": csrf_token(form.text),
                "next": "//evil.example/dashboard/x",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/inbox"
        back = await http.get("/dashboard/sign-in", params={"next": "/dashboard/campaigns"})
        assert back.status_code == 303  # signed in already: straight to where it was going
        assert back.headers["location"] == "/dashboard/campaigns"


async def test_pages_are_not_cached_and_not_framed(app: FastAPI, login: Login) -> None:
    async with browserless(app) as http:
        await signed_in(http, login)
        page = await http.get("/dashboard/settings/api-keys")
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        static = await http.get("/dashboard/static/htmx.min.js")
        assert static.status_code == 200
        assert static.headers["content-type"].startswith(("text/javascript", "application/"))
