"""Dashboard users for tests, and a signed-in HTTP client for the tests without a browser."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.kit.db import transaction
from skylight.users.service import create_user
from skylight.workspaces.repository import WorkspaceRepository
from tests.factories import TenantFixture

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Login:
    tenant: TenantFixture
    email: str
    password: str


async def make_login(maker: async_sessionmaker[AsyncSession], tenant: TenantFixture) -> Login:
    email = f"user-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(12)
    async with transaction(maker) as session:
        workspace = await WorkspaceRepository(session).get(tenant.workspace_id)
        assert workspace is not None
        await create_user(session, workspace, email, password)
    return Login(tenant=tenant, email=email, password=password)


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def random_ip() -> str:
    """A client address of its own per test, so the per-address sign-in limit of one test
    never refuses another's sign-ins."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


@asynccontextmanager
async def browserless(app: FastAPI, ip: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with a cookie jar, seen by the app as coming from `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip or random_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def post_sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await http.get("/dashboard/sign-in")
    assert form.status_code == 200
    return await http.post(
        "/dashboard/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_token(form.text)},
    )


async def signed_in(http: httpx.AsyncClient, login: Login) -> str:
    """Sign the client in; the session's CSRF token (from a page)."""
    response = await post_sign_in(http, login.email, login.password)
    assert response.status_code == 303, response.text
    page = await http.get("/dashboard/settings/api-keys")
    assert page.status_code == 200
    return csrf_token(page.text)


async def shoot(page: Page, name: str) -> Path:
    """Save what the page shows now, whole, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def browser_sign_in(page: Page, base_url: str, login: Login) -> None:
    """Open the dashboard, land on the sign-in form, sign in; ends on the inbox."""
    await page.goto(f"{base_url}/dashboard")
    await expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next="))
    await page.get_by_label("Email").fill(login.email)
    await page.get_by_label("Password").fill(login.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/dashboard/inbox$"))


async def open_nav(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    await expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page"
    )
