"""Files in the dashboard, in real Chromium: a received photo shows inline (and opens), and the
composer sends a file that reaches Unipile byte for byte."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
from playwright.async_api import FilePayload, Page, expect

from tests.dashboard.helpers import Login, browser_sign_in, shoot
from tests.files import samples
from tests.sandbox_flows import connect_qr_channel, eventually, sent_log

LIVE = 15_000  # ms: the longest any live change may take to show (bounded, not a timing)


async def test_a_received_photo_shows_and_the_composer_sends_a_file(
    page: Page, base_url: str, client: httpx.AsyncClient, login: Login
) -> None:
    tenant = login.tenant
    await connect_qr_channel(client, tenant, "whatsapp", "+15550100020")
    photo = samples.png(48, 32, rgb=(30, 120, 200))
    inbound = await client.post(
        "/api/v1/sandbox/inbound",
        data={"channel": "whatsapp", "from": "+15550100021", "name": "Lina", "text": "Look"},
        files={"file": ("damaged-box.png", photo, "image/png")},
        headers=tenant.headers,
    )
    assert inbound.status_code == 201, inbound.text

    await browser_sign_in(page, base_url, login)
    conversation = page.get_by_role("link", name=re.compile("Lina"))
    await expect(conversation).to_be_visible(timeout=LIVE)
    await expect(conversation).to_contain_text("Look")
    await conversation.click()
    await expect(page.get_by_role("heading", name="Lina")).to_be_visible()

    # The photo is drawn in the thread (decoded by the browser: its real width), as a link
    # that opens the file itself. (Unipile names only documents: a photo is image.png.)
    image = page.get_by_role("img", name="image.png")
    await expect(image).to_be_visible()
    await expect(image).to_have_js_property("naturalWidth", 48)
    link = page.get_by_role("link").filter(has=image)
    href = await link.get_attribute("href")
    assert href is not None
    assert re.fullmatch(r"/dashboard/files/file_[A-Za-z0-9]+", href)
    opened = await page.request.get(f"{base_url}{href}")
    assert opened.status == 200
    assert await opened.body() == photo

    # The composer: a file and a line of text.
    pdf = FilePayload(name="menu.pdf", mimeType="application/pdf", buffer=samples.PDF)
    await page.get_by_label("Attach a file").set_input_files(files=[pdf])
    await page.get_by_label("Message to Lina").fill("Sorry! Here is our returns form.")
    await page.get_by_role("button", name="Send").click()
    thread = page.get_by_role("log", name="Messages with Lina")
    sent_file = thread.get_by_role("listitem").filter(has_text="Sorry! Here is our returns form.")
    await expect(sent_file.get_by_role("link", name="menu.pdf")).to_be_visible(timeout=LIVE)
    await expect(sent_file).to_contain_text(f"{len(samples.PDF)} bytes")
    await shoot(page, "15-conversation-attachments")

    async def sent() -> list[dict[str, Any]]:
        return await sent_log(client, tenant)

    [out] = await eventually(sent, lambda rows: len(rows) == 1)
    assert out["text"] == "Sorry! Here is our returns form."
    [file] = out["attachments"]
    assert file["sha256"] == hashlib.sha256(samples.PDF).hexdigest()
    assert file["file_name"] == "menu.pdf"
