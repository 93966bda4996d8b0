"""Settings pages in real Chromium: Instagram's 2FA and Telegram's QR code on Channels, API keys
(shown once, then revoked), webhooks (deliveries and redeliver), a phone-sized screen, and the
keyboard alone."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from tests.dashboard.conftest import PHONE
from tests.dashboard.helpers import Login, browser_sign_in, open_nav, shoot
from tests.events.receiver import Receiver
from tests.processes import free_port
from tests.sandbox_flows import eventually
from tests.servers import serve_in_loop

LIVE = 15_000


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    port = free_port()
    async with serve_in_loop(hook.app(), port):
        yield hook, f"http://127.0.0.1:{port}/hook"


async def _until_card_shows(page: Page, card: Locator, status: str) -> None:
    deadline = time.monotonic() + LIVE / 1000
    while (await card.locator("dd code").inner_text()) != status:
        assert time.monotonic() < deadline, f"the card never showed {status}"
        await page.reload()


async def test_instagram_two_factor_and_telegram_qr(
    page: Page, base_url: str, login: Login
) -> None:
    await browser_sign_in(page, base_url, login)
    await open_nav(page, "Channels")
    instagram = page.get_by_role("region", name="Instagram")
    await instagram.get_by_label("Instagram username or email").fill("2fa_brand")
    await instagram.get_by_label("Password").fill("secret")
    await instagram.get_by_role("button", name="Connect Instagram").click()
    await expect(page.get_by_test_id("instagram-status")).to_have_text("Waiting for the code")
    await shoot(page, "09-channels-instagram-2fa")

    await instagram.get_by_label("Verification code").fill("000000")
    await instagram.get_by_role("button", name="Verify").click()
    await expect(instagram.get_by_role("alert")).to_have_text(
        "The verification code is not valid. Check it and try again."
    )
    await instagram.get_by_label("Verification code").fill("123456")
    await instagram.get_by_role("button", name="Verify").click()
    await expect(page.get_by_test_id("instagram-account")).to_have_text("2fa_brand")
    await expect(page.get_by_test_id("instagram-status")).to_have_text("Connected", timeout=LIVE)

    telegram = page.get_by_role("region", name="Telegram")
    await telegram.get_by_role("button", name="Connect Telegram").click()
    await expect(telegram.get_by_role("img", name="QR code to link Telegram")).to_be_visible()
    await telegram.get_by_label("Telegram username that scans").fill("my_telegram")
    await telegram.get_by_role("button", name="Simulate scan").click()
    await expect(page.get_by_test_id("telegram-account")).to_have_text("my_telegram", timeout=LIVE)
    # The first sync's last status arrives by webhook and re-renders the card live: wait until it
    # is stored (reloading, so a live update missed under load cannot stall this), or it could
    # replace the card (and the refresh's notice) right after the click.
    await _until_card_shows(page, telegram, "SYNC_SUCCESS")
    await telegram.get_by_role("button", name="Refresh").click()
    await expect(page.get_by_role("region", name="Telegram").get_by_role("status")).to_contain_text(
        "Refreshed from Unipile"
    )
    await page.set_viewport_size(PHONE)
    await shoot(page, "10-channels-phone")


async def test_api_keys_are_shown_once_and_revoked(
    page: Page, base_url: str, client: httpx.AsyncClient, login: Login
) -> None:
    await browser_sign_in(page, base_url, login)
    await open_nav(page, "API keys")
    await page.get_by_label("What is it for?").fill("crm")
    await page.get_by_role("button", name="Create key").click()
    secret = await page.get_by_test_id("new-key").input_value()
    assert secret.startswith("sk_test_")
    await shoot(page, "11-api-keys")
    works = await client.get("/api/v1/contacts", headers={"X-Api-Key": secret})
    assert works.status_code == 200

    await page.reload()
    await expect(page.get_by_test_id("new-key")).to_have_count(0)  # shown once only
    assert secret not in await page.content()
    await page.get_by_role("button", name="Revoke crm").click()
    await expect(page.get_by_text("Revoked")).to_be_visible()
    refused = await client.get("/api/v1/contacts", headers={"X-Api-Key": secret})
    assert refused.status_code == 401


async def test_webhook_deliveries_and_redeliver(
    page: Page,
    base_url: str,
    client: httpx.AsyncClient,
    login: Login,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    await browser_sign_in(page, base_url, login)
    await open_nav(page, "Webhooks")
    await page.get_by_label("URL").fill(url)
    await page.get_by_label("Description (optional)").fill("CRM")
    await page.get_by_role("button", name="Add endpoint").click()
    assert (await page.get_by_test_id("new-secret").input_value()).startswith("whsec_")
    await page.get_by_role("button", name="Send test event").click()
    await expect(page.get_by_role("status").filter(has_text="queued for delivery")).to_be_visible()

    async def deliveries() -> list[dict[str, Any]]:
        endpoints = await client.get("/api/v1/webhook-endpoints", headers=login.tenant.headers)
        endpoint_id = endpoints.json()["data"][0]["id"]
        response = await client.get(
            f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=login.tenant.headers
        )
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    done = await eventually(deliveries, lambda rows: [r["state"] for r in rows] == ["succeeded"])
    assert [r["state"] for r in done] == ["succeeded"], done
    await page.reload()
    delivery = page.get_by_test_id(f"delivery-{done[0]['id']}")
    await expect(delivery).to_contain_text("webhook_endpoint.test")
    await expect(delivery).to_contain_text("succeeded")
    await delivery.get_by_role("button", name=re.compile("Redeliver")).click()
    await expect(page.get_by_role("status").filter(has_text="queued again")).to_be_visible()
    again = await eventually(lambda: _count(hook), lambda n: n >= 2)
    assert again == 2
    await page.reload()
    await shoot(page, "12-webhooks")


async def _count(hook: Receiver) -> int:
    return len(hook.requests)


async def test_the_keyboard_alone_reaches_every_control(
    page: Page, base_url: str, login: Login
) -> None:
    await page.goto(f"{base_url}/dashboard/sign-in")
    await expect(page.get_by_label("Email")).to_be_focused()
    await page.keyboard.type(login.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(login.password)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/dashboard/inbox$"))

    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    channels = page.get_by_role("navigation", name="Main").get_by_role("link", name="Channels")
    for _ in range(10):
        if await channels.evaluate("link => link === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(channels).to_be_focused()
    await page.keyboard.press("Enter")
    connect = page.get_by_role("button", name="Connect WhatsApp")
    await expect(connect).to_be_visible()
    for _ in range(10):
        if await connect.evaluate("button => button === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(connect).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("img", name="QR code to link WhatsApp")).to_be_visible()
