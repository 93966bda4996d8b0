"""Contacts in real Chromium: import a CSV and watch it complete (its counts and skipped rows),
the list updating by itself; search, filter and pages; opt out and back in; edit and delete;
and from a conversation to its contact."""

from __future__ import annotations

import asyncio
import re

import httpx
from playwright.async_api import FilePayload, Page, Request, Route, expect

from tests.contacts.helpers import customer_list, phone
from tests.dashboard.helpers import Login, browser_sign_in, open_nav, shoot
from tests.sandbox_flows import connect_qr_channel

LIVE = 15_000  # ms: the longest any live change may take to show (bounded, not a timing)


async def test_import_a_csv_and_manage_the_contacts(
    page: Page, base_url: str, client: httpx.AsyncClient, login: Login
) -> None:
    await browser_sign_in(page, base_url, login)
    await open_nav(page, "Contacts")
    await expect(page.get_by_text("No contacts yet.")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=LIVE)

    crm = customer_list(120, invalid=2, duplicates=1)
    form = page.get_by_role("form", name="Import CSV")
    await form.get_by_label("CSV file").set_input_files(
        files=FilePayload(name="customers.csv", mimeType="text/csv", buffer=crm.text.encode())
    )
    await form.get_by_role("button", name="Import CSV").click()

    panel = page.locator("#import-panel")
    await expect(panel.get_by_role("heading")).to_have_text("Import of customers.csv")
    await expect(panel.get_by_test_id("import-state")).to_have_text("completed", timeout=LIVE)
    await expect(panel.get_by_test_id("import-counts")).to_have_text(
        "120 of 120 rows: 117 created, 0 updated, 3 skipped"
    )
    skipped = panel.get_by_role("table")
    for line in crm.invalid_lines + crm.duplicate_lines:
        await expect(skipped.get_by_role("cell", name=str(line), exact=True)).to_have_count(1)
    await expect(skipped).to_contain_text("Duplicate of line 2: the same whatsapp phone.")
    # The list caught up by itself when the import finished (the live stream).
    await expect(page.get_by_test_id("contacts-total")).to_have_text("117 contacts", timeout=LIVE)
    await shoot(page, "15-contacts-import")

    # Pages, search and the channel filter.
    await expect(page.get_by_text("Page 1 of 5")).to_be_visible()
    await page.get_by_role("link", name="Next").click()
    await expect(page.get_by_text("Page 2 of 5")).to_be_visible()
    search = page.get_by_role("search", name="Find contacts")
    await search.get_by_label("Search").fill("عميل 11")
    await search.get_by_role("button", name="Search").click()
    await expect(page.get_by_test_id("contacts-total")).to_have_text("6 contacts found")
    await search.get_by_label("Search").fill("")
    await search.get_by_label("Channel").select_option("telegram")
    await search.get_by_role("button", name="Search").click()
    await expect(page.get_by_text("No contacts match.")).to_be_visible()
    await search.get_by_label("Channel").select_option("")
    await search.get_by_label("Search").fill("Customer 16")
    await search.get_by_role("button", name="Search").click()
    row = page.locator(".row", has_text="Customer 16")
    await expect(page.get_by_test_id("contacts-total")).to_have_text("1 contact found")

    # Opt out, and back in, from the list.
    await row.get_by_role("button", name="Opt out Customer 16").click()
    await expect(row.get_by_text("Opted out")).to_be_visible()
    await row.get_by_role("button", name="Opt back in Customer 16").click()
    await expect(row.get_by_text("Opted out")).to_have_count(0)

    # Edit on the contact's page.
    await row.get_by_role("link", name="Edit Customer 16").click()
    await expect(page.get_by_role("heading", name="Customer 16", level=1)).to_be_visible()
    await page.get_by_label("Name", exact=True).fill("Customer Sixteen")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("heading", name="Customer Sixteen", level=1)).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    await page.get_by_label("Phone").fill("0501234567")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_contain_text("international format")
    await page.get_by_role("button", name="Opt out").click()
    await expect(page.get_by_test_id("opt-status")).to_contain_text("Opted out since")
    await shoot(page, "16-contact")
    await page.get_by_role("button", name="Delete contact").click()
    await expect(page.get_by_test_id("contacts-total")).to_have_text("116 contacts")


async def test_a_conversation_links_to_its_contact(
    page: Page, base_url: str, client: httpx.AsyncClient, login: Login
) -> None:
    await connect_qr_channel(client, login.tenant, "whatsapp", "+15550100011")
    inbound = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": "+15550100012", "name": "Maha", "text": "STOP"},
        headers=login.tenant.headers,
    )
    assert inbound.status_code == 201, inbound.text
    await browser_sign_in(page, base_url, login)
    await page.get_by_role("link", name=re.compile("Maha")).click()
    await expect(page.get_by_role("heading", name="Maha", level=1)).to_be_visible()
    await page.get_by_role("link", name="Contact details").click()
    await expect(page.get_by_test_id("opt-status")).to_contain_text("Opted out since")
    await page.get_by_role("button", name="Opt back in").click()
    await expect(page.get_by_test_id("opt-status")).to_have_text("Receives campaigns")
    await page.get_by_role("link", name="Open the conversation").click()
    await expect(page.get_by_role("heading", name="Maha", level=1)).to_be_visible()


async def test_an_event_while_a_page_loads_shows_on_the_new_page(
    page: Page, base_url: str, client: httpx.AsyncClient, login: Login
) -> None:
    """The race behind a flaky import test, forced: the new page is read before a change and
    arrives after the change's event; the dashboard replays that event on the new page."""
    created = await client.post(
        "/api/v1/contacts",
        json={"name": "Noor", "channel": "whatsapp", "phone": phone(21)},
        headers=login.tenant.headers,
    )
    assert created.status_code == 201, created.text
    await browser_sign_in(page, base_url, login)
    await open_nav(page, "Contacts")
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=LIVE)
    row = page.locator(".row", has_text="Noor")
    await expect(row).to_be_visible()

    old_page_heard_it = asyncio.Event()

    def on_request(request: Request) -> None:
        if "/contacts/rows" in request.url:  # the old page refreshing on the event
            old_page_heard_it.set()

    async def hold(route: Route) -> None:
        stale = await route.fetch()  # the new page, read before the opt-out
        opted = await client.patch(
            f"/api/v1/contacts/{created.json()['data']['id']}",
            json={"opted_out": True},
            headers=login.tenant.headers,
        )
        assert opted.status_code == 200, opted.text
        await asyncio.wait_for(old_page_heard_it.wait(), LIVE / 1000)
        await route.fulfill(response=stale)

    page.on("request", on_request)
    await page.route(re.compile(r"/dashboard/contacts\?q=Noor"), hold)
    search = page.get_by_role("search", name="Find contacts")
    await search.get_by_label("Search").fill("Noor")
    await search.get_by_role("button", name="Search").click()
    await expect(page.get_by_test_id("contacts-total")).to_have_text("1 contact found")
    await expect(row.get_by_text("Opted out")).to_be_visible(timeout=LIVE)
