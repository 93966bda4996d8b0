"""Files in an S3-compatible store (moto's server): an upload sent, and a photo received, go
through the bucket and nothing is written to the data folder."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.files.storage import S3Storage
from skylight.kit.settings import Settings
from tests.factories import TenantFixture, make_tenant
from tests.files import samples
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact, sent_log

pytestmark = pytest.mark.both_databases


@pytest.fixture
async def s3_client(s3_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=s3_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def s3_tenant(s3_app: FastAPI) -> TenantFixture:
    maker: async_sessionmaker[AsyncSession] = s3_app.state.sessionmaker
    return await make_tenant(maker)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_received_and_sent_files_go_through_the_bucket(
    s3_app: FastAPI, s3_client: httpx.AsyncClient, s3_tenant: TenantFixture
) -> None:
    client, tenant = s3_client, s3_tenant
    storage = s3_app.state.storage
    assert isinstance(storage, S3Storage)
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000500")

    photo = samples.png(4, 4)
    received = await client.post(
        "/api/v1/sandbox/inbound",
        data={"channel": "whatsapp", "from": "+966511110050"},
        files={"file": ("photo.png", photo, "image/png")},
        headers=tenant.headers,
    )
    assert received.status_code == 201, received.text

    async def conversation() -> list[dict[str, Any]]:
        response = await client.get("/api/v1/conversations", headers=tenant.headers)
        rows: list[dict[str, Any]] = response.json()["data"]
        return rows

    [row] = await eventually(conversation, lambda rows: len(rows) == 1)
    messages = await client.get(
        f"/api/v1/contacts/{row['contact_id']}/messages", headers=tenant.headers
    )
    [attachment] = messages.json()["data"][0]["attachments"]

    async def file() -> dict[str, Any]:
        response = await client.get(f"/api/v1/files/{attachment['id']}", headers=tenant.headers)
        data: dict[str, Any] = response.json()["data"]
        return data

    assert (await eventually(file, lambda f: f["status"] == "ready"))["status"] == "ready"
    # The bytes are in the bucket, under the workspace's key.
    stored = await storage.get(f"{tenant.workspace_id}/{attachment['id']}")
    assert sha256(stored) == sha256(photo)
    served = await client.get(attachment["url"], headers=tenant.headers)
    assert sha256(served.content) == sha256(photo)

    # An upload goes out from the bucket too.
    uploaded = await client.post(
        "/api/v1/files", files={"file": ("menu.pdf", samples.PDF)}, headers=tenant.headers
    )
    contact = await make_contact(
        client, tenant, name="Omar", channel="whatsapp", phone="+966511110051"
    )
    sent = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "attachments": [uploaded.json()["data"]["id"]]},
        headers=tenant.headers,
    )
    assert sent.status_code == 201, sent.text
    [out] = await sent_log(client, tenant)
    assert out["attachments"][0]["sha256"] == sha256(samples.PDF)

    settings: Settings = s3_app.state.settings
    assert not (settings.data_dir / "files").exists()
