"""Sending files: POST /api/v1/messages/send with `attachments` (ids from POST /api/v1/files)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skylight.files.limits import MB
from tests.factories import TenantFixture
from tests.files import samples
from tests.sandbox_flows import connect_qr_channel, make_contact, sent_log

pytestmark = pytest.mark.both_databases

SARAH = {"name": "Sarah Johnson", "channel": "whatsapp", "phone": "+966501234567"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def upload(
    client: httpx.AsyncClient, tenant: TenantFixture, data: bytes, name: str
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/files", files={"file": (name, data)}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    file: dict[str, Any] = response.json()["data"]
    return file


async def send(client: httpx.AsyncClient, tenant: TenantFixture, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/messages/send", json=body, headers=tenant.headers)


async def test_a_pdf_and_a_jpeg_reach_whatsapp_byte_for_byte(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000300")
    contact = await make_contact(client, tenant, **SARAH)
    pdf = await upload(client, tenant, samples.PDF, "booking.pdf")
    jpeg = await upload(client, tenant, samples.JPEG, "room.jpg")

    response = await send(
        client,
        tenant,
        contact_id=contact["id"],
        message="Your booking, and a photo of the room.",
        attachments=[pdf["id"], jpeg["id"]],
    )
    assert response.status_code == 201, response.text
    message = response.json()["data"]
    assert message["status"] == "sent"
    assert [
        (a["id"], a["type"], a["content_type"], a["filename"]) for a in message["attachments"]
    ] == [
        (pdf["id"], "file", "application/pdf", "booking.pdf"),
        (jpeg["id"], "image", "image/jpeg", "room.jpg"),
    ]
    assert message["attachments"][0] == {
        "id": pdf["id"],
        "type": "file",
        "content_type": "application/pdf",
        "size": len(samples.PDF),
        "filename": "booking.pdf",
        "status": "ready",
        "url": f"/api/v1/files/{pdf['id']}/content",
    }

    # Unipile received the same bytes, as two `attachments` parts of one message.
    [sent] = await sent_log(client, tenant)
    assert sent["text"] == "Your booking, and a photo of the room."
    assert [(f["file_name"], f["mimetype"], f["sha256"]) for f in sent["attachments"]] == [
        ("booking.pdf", "application/pdf", sha256(samples.PDF)),
        ("room.jpg", "image/jpeg", sha256(samples.JPEG)),
    ]
    # ...and serves them back on its attachment route.
    for sent_file, data in zip(sent["attachments"], (samples.PDF, samples.JPEG), strict=True):
        served = await app.state.unipile.download_attachment(
            sent["message_id"], sent_file["id"], max_bytes=MB
        )
        assert served == data

    fetched = await client.get(f"/api/v1/messages/{message['id']}", headers=tenant.headers)
    assert fetched.json()["data"]["attachments"] == message["attachments"]
    for attachment, data in zip(message["attachments"], (samples.PDF, samples.JPEG), strict=True):
        content = await client.get(attachment["url"], headers=tenant.headers)
        assert content.status_code == 200
        assert sha256(content.content) == sha256(data)


async def test_a_file_alone_needs_no_text_and_later_sends_reuse_the_chat(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000301")
    contact = await make_contact(client, tenant, **SARAH)
    photo = await upload(client, tenant, samples.png(), "damage.png")
    first = await send(client, tenant, contact_id=contact["id"], attachments=[photo["id"]])
    assert first.status_code == 201, first.text
    assert first.json()["data"]["content"] == ""
    second = await send(client, tenant, contact_id=contact["id"], attachments=[photo["id"]])
    assert second.status_code == 201
    sent = await sent_log(client, tenant)
    assert [s["text"] for s in sent] == [None, None]
    assert len({s["chat_id"] for s in sent}) == 1
    assert all(s["attachments"][0]["sha256"] == sha256(samples.png()) for s in sent)

    conversations = await client.get("/api/v1/conversations", headers=tenant.headers)
    assert conversations.json()["data"][0]["last_message"] == "📎 damage.png"


async def test_files_a_channel_refuses_are_a_clear_4xx_and_nothing_is_sent_or_stored(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000302")
    contact = await make_contact(client, tenant, **SARAH)
    big = await upload(client, tenant, samples.padded(samples.JPEG, 6 * MB), "big.jpg")
    gif = await upload(client, tenant, b"GIF89a" + bytes(64), "funny.gif")
    foreign = await upload(client, other_tenant, samples.PDF, "theirs.pdf")

    too_large = await send(client, tenant, contact_id=contact["id"], attachments=[big["id"]])
    assert too_large.status_code == 413
    assert too_large.json() == {
        "success": False,
        "message": "The file is 6 MB; WhatsApp images may be at most 5 MB.",
        "errors": {"attachments": ["The file is 6 MB; WhatsApp images may be at most 5 MB."]},
    }
    wrong_type = await send(
        client, tenant, contact_id=contact["id"], message="hi", attachments=[gif["id"]]
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["message"] == "WhatsApp images may be JPEG or PNG, not GIF."
    not_ours = await send(client, tenant, contact_id=contact["id"], attachments=[foreign["id"]])
    assert not_ours.status_code == 422
    assert not_ours.json()["message"] == f"File {foreign['id']} not found."

    assert await sent_log(client, tenant) == []
    history = await client.get(f"/api/v1/contacts/{contact['id']}/messages", headers=tenant.headers)
    assert history.json()["data"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"attachments": []}, "message"),
        ({"attachments": ["nope"]}, "attachments.0"),
        ({"attachments": [f"file_{i}" for i in range(11)]}, "attachments"),
        ({"attachments": "file_x"}, "attachments"),
    ],
)
async def test_bad_attachment_lists_are_422(
    client: httpx.AsyncClient, tenant: TenantFixture, body: dict[str, Any], field: str
) -> None:
    response = await send(client, tenant, contact_id=1, **body)
    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
