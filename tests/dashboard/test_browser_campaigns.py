"""Campaigns in real Chromium: create, start, pause, resume, cancel; and on Settings -> Channels
the campaign guard's refusal to disconnect a channel a campaign holds."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.dashboard.helpers import Login, browser_sign_in, open_nav, shoot
from tests.sandbox_flows import connect_qr_channel, make_contact


async def test_campaign_lifecycle_and_the_disconnect_guard(
    page: Page, base_url: str, client: httpx.AsyncClient, login: Login
) -> None:
    await connect_qr_channel(client, login.tenant, "whatsapp", "+15550100001")
    for number, name in (
        ("+966501234561", "Ann"),
        ("+966501234562", "Bob"),
        ("+966501234563", "Cy"),
    ):
        await make_contact(client, login.tenant, name=name, channel="whatsapp", phone=number)

    await browser_sign_in(page, base_url, login)
    await open_nav(page, "Campaigns")
    await expect(page.get_by_text("No campaigns yet.")).to_be_visible()
    form = page.get_by_role("form", name="New campaign")
    await form.get_by_label("Name", exact=True).fill("Spring offer")
    await form.get_by_label("Channel", exact=True).select_option("whatsapp")
    await form.get_by_label("Message", exact=True).fill("Hello {{name}}, 20% off this week!")
    await form.get_by_role("button", name="Create draft").click()

    campaign = page.locator(".campaign", has_text="Spring offer")
    state = campaign.locator("[data-testid$='-state']")
    await expect(state).to_have_text("draft")
    await expect(campaign).to_contain_text("0 of 3 done")
    await campaign.get_by_role("button", name="Start Spring offer").click()
    await expect(state).to_have_text("running")
    await campaign.get_by_role("button", name="Pause Spring offer").click()
    await expect(state).to_have_text("paused")
    await shoot(page, "13-campaigns")

    # A paused campaign holds its channel: the guard's message, not a disconnect.
    await open_nav(page, "Channels")
    whatsapp = page.get_by_role("region", name="WhatsApp")
    await whatsapp.get_by_role("button", name="Disconnect").click()
    await expect(whatsapp.get_by_role("alert")).to_have_text(
        "The outreach campaign 'Spring offer' is running or paused on this channel. "
        "Cancel it first."
    )
    await expect(page.get_by_test_id("whatsapp-status")).to_have_text("Connected")
    await shoot(page, "14-channels-campaign-guard")

    await open_nav(page, "Campaigns")
    await campaign.get_by_role("button", name="Resume Spring offer").click()
    await expect(state).to_have_text("running")
    await campaign.get_by_role("button", name="Cancel Spring offer").click()
    await expect(state).to_have_text("cancelled")
    await expect(campaign.get_by_role("button")).to_have_count(0)

    await open_nav(page, "Channels")
    await whatsapp.get_by_role("button", name="Disconnect").click()
    await expect(page.get_by_test_id("whatsapp-status")).to_have_text("Not connected")
