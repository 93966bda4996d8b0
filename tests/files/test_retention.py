"""Retention: an unused upload goes after 24 hours; a message's files go with the message
(deleted with its contact), received ones too. Time is injected: the sweep is told when now is."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from skylight.files.storage import ObjectMissing, Storage
from skylight.files.sweep import sweep
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from tests.factories import TenantFixture
from tests.files import samples
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact

pytestmark = pytest.mark.both_databases


async def upload(client: httpx.AsyncClient, tenant: TenantFixture, name: str) -> str:
    response = await client.post(
        "/api/v1/files", files={"file": (name, samples.PDF)}, headers=tenant.headers
    )
    assert response.status_code == 201
    file_id: str = response.json()["data"]["id"]
    return file_id


async def exists(client: httpx.AsyncClient, tenant: TenantFixture, file_id: str) -> bool:
    response = await client.get(f"/api/v1/files/{file_id}", headers=tenant.headers)
    assert response.status_code in (200, 404)
    return response.status_code == 200


async def stored(storage: Storage, tenant: TenantFixture, file_id: str) -> bool:
    try:
        await storage.get(f"{tenant.workspace_id}/{file_id}")
    except ObjectMissing:
        return False
    return True


async def test_unused_uploads_expire_and_files_follow_their_message(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture, settings: Settings
) -> None:
    db: Database = app.state.db
    storage: Storage = app.state.storage
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000600")
    contact = await make_contact(
        client, tenant, name="Huda", channel="whatsapp", phone="+966511110060"
    )
    orphan = await upload(client, tenant, "never-sent.pdf")
    used = await upload(client, tenant, "sent.pdf")
    sent = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact["id"], "attachments": [used]},
        headers=tenant.headers,
    )
    assert sent.status_code == 201
    received = await client.post(
        "/api/v1/sandbox/inbound",
        data={"channel": "whatsapp", "from": "+966511110060"},
        files={"file": ("reply.png", samples.png(), "image/png")},
        headers=tenant.headers,
    )
    assert received.status_code == 201

    async def files_of_contact() -> list[str]:
        response = await client.get(
            f"/api/v1/contacts/{contact['id']}/messages", headers=tenant.headers
        )
        return [a["id"] for m in response.json()["data"] for a in m["attachments"]]

    both = await eventually(files_of_contact, lambda ids: len(ids) == 2)
    [inbound] = [f for f in both if f != used]

    # Within the day nothing goes.
    await sweep(db, storage, settings, utcnow() + timedelta(hours=23))
    assert await exists(client, tenant, orphan)

    # After it, the unused upload goes (row and bytes); the message's files stay.
    await sweep(db, storage, settings, utcnow() + timedelta(hours=25))
    assert not await exists(client, tenant, orphan)
    assert not await stored(storage, tenant, orphan)
    assert await exists(client, tenant, used)
    assert await exists(client, tenant, inbound)

    # The contact is deleted with its messages; their files go at the next sweep.
    deleted = await client.delete(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers)
    assert deleted.status_code == 204
    await sweep(db, storage, settings, utcnow() + timedelta(hours=25))
    for file_id in (used, inbound):
        assert not await exists(client, tenant, file_id)
        assert not await stored(storage, tenant, file_id)
