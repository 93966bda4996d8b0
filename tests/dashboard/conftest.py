"""Real Chromium (Debian's package, driven by Playwright) against the test app's real port."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.dashboard.helpers import Login, make_login
from tests.factories import TenantFixture

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing of Chromium's own reaches for the network (this machine has none).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
REFUSED = "Failed to load resource: the server responded with a status of 4"
DESKTOP = ViewportSize(width=1280, height=860)
PHONE = ViewportSize(width=390, height=844)
# Looked up once, at import: not a blocking call inside the event loop.
HAVE_CHROMIUM = CHROMIUM.exists()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        message = f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser profile per test. Script errors on any page fail the test."""
    context = await browser.new_context(viewport=DESKTOP)
    opened = await context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # A 4xx answer (a wrong code, a refused form) is part of the test, not a script error.
        if message.type == "error" and not message.text.startswith(REFUSED):
            errors.append(message.text)

    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", console)
    # hx-confirm asks before revoking or disconnecting: answer yes, as a person would.
    opened.on("dialog", lambda dialog: dialog.accept())
    try:
        yield opened
        assert errors == [], errors
    finally:
        await context.close()


@pytest.fixture
async def login(sessionmaker: async_sessionmaker[AsyncSession], tenant: TenantFixture) -> Login:
    return await make_login(sessionmaker, tenant)
