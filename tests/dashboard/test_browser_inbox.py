"""A person's first session in real Chromium: sign in, connect WhatsApp with the QR code and
Simulate scan, see a message arrive without reloading, answer it, watch its receipt, and see
why a message failed. Each page is saved as a screenshot."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.dashboard.conftest import PHONE
from tests.dashboard.helpers import Login, browser_sign_in, open_nav, shoot

LIVE = 15_000  # ms: the longest any live change may take to show (bounded, not a timing)
SENDER = "+15550100002"
PHONE_NUMBER = "+15550100001"


async def _messages(client: httpx.AsyncClient, login: Login, contact_id: int) -> list[Any]:
    response = await client.get(
        f"/api/v1/contacts/{contact_id}/messages", headers=login.tenant.headers
    )
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


async def test_connect_whatsapp_receive_live_and_reply(
    page: Page, base_url: str, client: httpx.AsyncClient, login: Login
) -> None:
    await page.goto(f"{base_url}/dashboard/inbox")
    await expect(page.get_by_role("heading", name="Sign in to the dashboard")).to_be_visible()
    await shoot(page, "01-sign-in")
    await browser_sign_in(page, base_url, login)
    await expect(page.get_by_text("No conversations yet.")).to_be_visible()
    await shoot(page, "02-inbox-empty")

    # Settings -> Channels: the QR code, rendered by the server, then the simulated scan.
    await open_nav(page, "Channels")
    await expect(page.get_by_test_id("whatsapp-status")).to_have_text("Not connected")
    await page.get_by_role("button", name="Connect WhatsApp").click()
    qr = page.get_by_role("img", name="QR code to link WhatsApp")
    await expect(qr).to_be_visible()
    assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    await expect(page.get_by_test_id("whatsapp-status")).to_have_text("Waiting for the scan")
    await shoot(page, "03-channels-qr")
    await page.get_by_label("Phone number that scans").fill(PHONE_NUMBER)
    await page.get_by_role("button", name="Simulate scan").click()
    # The card polls until the account is connected, then shows the number.
    await expect(page.get_by_test_id("whatsapp-account")).to_have_text(PHONE_NUMBER, timeout=LIVE)
    await expect(page.get_by_test_id("whatsapp-status")).to_have_text("Connected", timeout=LIVE)
    await shoot(page, "04-channels-connected")

    # Inbox: someone writes; the conversation appears without a reload, with its badge.
    await open_nav(page, "Inbox")
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=LIVE)
    url_before = page.url
    inbound = await client.post(
        "/api/v1/sandbox/inbound",
        json={
            "channel": "whatsapp",
            "from": SENDER,
            "name": "Sarah Johnson",
            "text": "Hi! Is my appointment tomorrow confirmed?",
        },
        headers=login.tenant.headers,
    )
    assert inbound.status_code == 201, inbound.text
    conversation = page.get_by_role("link", name=re.compile("Sarah Johnson"))
    await expect(conversation).to_be_visible(timeout=LIVE)
    await expect(conversation.get_by_label("1 unread")).to_be_visible()
    await expect(conversation).to_contain_text("Is my appointment tomorrow confirmed?")
    assert page.url == url_before  # it came live, not by navigating
    await shoot(page, "05-inbox-live-message")

    # The conversation: its history, the send box, the reply.
    await conversation.click()
    await expect(page.get_by_role("heading", name="Sarah Johnson")).to_be_visible()
    thread = page.get_by_role("log", name="Messages with Sarah Johnson")
    await expect(thread).to_contain_text("Is my appointment tomorrow confirmed?")
    await expect(page.get_by_label("1 unread")).to_have_count(0)  # opened: read
    await page.get_by_label("Message to Sarah Johnson").fill("Yes, see you at 2pm!")
    await page.get_by_role("button", name="Send").click()
    reply = thread.locator(".message-outbound", has_text="Yes, see you at 2pm!")
    await expect(reply.locator(".message-status")).to_have_text("sent", timeout=LIVE)

    # A receipt and a new inbound message change the open thread without a reload.
    contact_id = int(re.sub(r"\D", "", page.url.rsplit("/", 1)[-1]))
    outbound = [
        m for m in await _messages(client, login, contact_id) if m["direction"] == "outbound"
    ]
    assert [m["content"] for m in outbound] == ["Yes, see you at 2pm!"]
    receipt = await client.post(
        f"/api/v1/sandbox/messages/{outbound[0]['id']}/delivered", headers=login.tenant.headers
    )
    assert receipt.status_code == 200, receipt.text
    await expect(reply.locator(".message-status")).to_have_text("delivered", timeout=LIVE)
    again = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": SENDER, "text": "Perfect, thank you."},
        headers=login.tenant.headers,
    )
    assert again.status_code == 201, again.text
    await expect(thread).to_contain_text("Perfect, thank you.", timeout=LIVE)
    # It is on screen, so it is read: the list beside it shows no badge for it.
    await expect(conversation).to_contain_text("Perfect, thank you.", timeout=LIVE)
    await expect(conversation.get_by_label("1 unread")).to_have_count(0)
    await shoot(page, "06-conversation-reply")

    # Phone-sized: the thread alone, with a way back to the list.
    await page.set_viewport_size(PHONE)
    await expect(page.get_by_role("link", name="All conversations")).to_be_visible()
    await shoot(page, "07-conversation-phone")


async def test_a_failed_message_shows_why(page: Page, base_url: str, login: Login) -> None:
    await browser_sign_in(page, base_url, login)
    form = page.get_by_role("form", name="New conversation")
    await form.get_by_label("Channel").select_option("telegram")
    await form.get_by_label("Phone number (+ and country code) or username").fill("@nobody_here")
    await form.get_by_label("Name (optional)").fill("Nobody Here")
    await form.get_by_label("Message").fill("Hello from the dashboard")
    await form.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Nobody Here")).to_be_visible()
    failed = page.locator(".message-failed", has_text="Hello from the dashboard")
    await expect(failed.get_by_role("note")).to_have_text(
        "Not delivered: No telegram channel connected."
    )
    await shoot(page, "08-conversation-failed")
