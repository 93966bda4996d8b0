"""Receiving files: recorded with their message at once, bytes fetched in the background (or
on demand), and a file Unipile cannot give is unavailable, never a 500."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skylight.files import inbound as inbound_files
from skylight.integrations.unipile.attachments import Attachment
from skylight.kit.db import Database
from tests.factories import TenantFixture
from tests.files import samples
from tests.sandbox_flows import connect_qr_channel, eventually, history, receive

pytestmark = pytest.mark.both_databases


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_a_received_photo_is_a_message_with_its_image(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000400")
    photo = samples.png(3, 2)
    sent = await receive(client, tenant, "+966511110001", ("damage.png", photo, "image/png"))
    assert sent.status_code == 201, sent.text

    messages = await eventually(lambda: history(client, tenant), lambda rows: len(rows) == 1)
    [message] = messages
    assert message["direction"] == "inbound"
    assert message["content"] == ""
    [attachment] = message["attachments"]
    assert attachment["type"] == "image"
    assert attachment["content_type"] == "image/png"
    assert attachment["status"] in ("pending", "ready")
    # The event (and so every webhook delivery) carries the attachment as the API shows it.
    events = await client.get(
        "/api/v1/events", params={"type": "message.received"}, headers=tenant.headers
    )
    [event] = events.json()["data"]
    [announced] = event["data"]["attachments"]
    assert announced["id"] == attachment["id"]
    assert announced["type"] == "image"
    assert announced["url"] == f"/api/v1/files/{attachment['id']}/content"

    async def file() -> dict[str, Any]:
        response = await client.get(f"/api/v1/files/{attachment['id']}", headers=tenant.headers)
        data: dict[str, Any] = response.json()["data"]
        return data

    fetched = await eventually(file, lambda f: f["status"] == "ready")  # by the background job
    assert fetched["size"] == len(photo)
    content = await client.get(attachment["url"], headers=tenant.headers)
    assert content.status_code == 200
    assert sha256(content.content) == sha256(photo)
    assert content.headers["content-type"] == "image/png"


async def test_a_file_is_served_on_demand_before_the_job_fetched_it(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000401")
    voice = samples.OGG
    sent = await receive(
        client, tenant, "+966511110002", ("voice.ogg", voice, "audio/ogg"), "listen"
    )
    assert sent.status_code == 201
    [message] = await eventually(lambda: history(client, tenant), lambda rows: len(rows) == 1)
    assert message["content"] == "listen"
    # Whether the job has run yet or not, the route answers with the bytes.
    content = await client.get(message["attachments"][0]["url"], headers=tenant.headers)
    assert content.status_code == 200
    assert content.content == voice


async def test_a_fetch_that_keeps_failing_is_retried_then_unavailable(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000402")
    # Every call of this workspace to Unipile fails from now on (5xx), downloads included.
    faults = await client.post(
        "/api/v1/sandbox/faults", json={"error_rate": 1.0}, headers=tenant.headers
    )
    assert faults.status_code == 200
    try:
        sent = await receive(
            client, tenant, "+966511110003", ("cv.pdf", samples.PDF, "application/pdf")
        )
        assert sent.status_code == 201
        [message] = await eventually(lambda: history(client, tenant), lambda rows: len(rows) == 1)
        file_id = message["attachments"][0]["id"]

        async def file() -> dict[str, Any]:
            response = await client.get(f"/api/v1/files/{file_id}", headers=tenant.headers)
            data: dict[str, Any] = response.json()["data"]
            return data

        # Two attempts (files_fetch_retry_seconds has one delay), then it gives up.
        gone = await eventually(file, lambda f: f["status"] == "unavailable")
        assert gone["status"] == "unavailable"
        content = await client.get(message["attachments"][0]["url"], headers=tenant.headers)
        assert content.status_code == 410
        assert content.json()["message"].startswith(f"File {file_id} is unavailable. Unipile ")
        assert "(gave up after 2 attempts)" in content.json()["message"]
    finally:
        await client.post("/api/v1/sandbox/faults", json={}, headers=tenant.headers)
    # The message itself was never at risk.
    [kept] = await history(client, tenant)
    assert kept["id"] == message["id"]
    assert kept["attachments"][0]["status"] == "unavailable"


async def test_a_file_unipile_no_longer_has_is_410_not_a_500(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000403")
    sent = await receive(client, tenant, "+966511110004", None, "hello")
    assert sent.status_code == 201
    [message] = await eventually(lambda: history(client, tenant), lambda rows: len(rows) == 1)
    # An attachment Unipile lists but cannot serve any more (expired at the provider).
    db: Database = app.state.db
    async with db.transaction() as session:
        gone = Attachment(id="expired-attachment", type="img", mimetype="image/jpeg")
        await inbound_files.record(session, tenant.workspace_id, message["id"], "m-x", [gone])
    [attachment] = (
        await client.get(f"/api/v1/messages/{message['id']}", headers=tenant.headers)
    ).json()["data"]["attachments"]
    assert attachment["filename"] == "image.jpg"
    content = await client.get(attachment["url"], headers=tenant.headers)
    assert content.status_code == 410
    assert content.json() == {
        "success": False,
        "message": f"File {attachment['id']} is unavailable. Unipile no longer has this file.",
    }
