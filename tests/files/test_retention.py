"""Retention: an unused upload goes after 24 hours; a message's files go with the message
(deleted with its contact), received ones too. Time is injected: the sweep is told when now is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from skylight.files.fetching import fetch
from skylight.files.models import File, FileStatus
from skylight.files.storage import ObjectMissing, Storage
from skylight.files.sweep import sweep
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from tests.factories import TenantFixture
from tests.files import samples
from tests.sandbox_flows import connect_qr_channel, eventually, history, make_contact, receive

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
    photo = ("reply.png", samples.png(), "image/png")
    assert (await receive(client, tenant, "+966511110060", photo)).status_code == 201

    async def files_of_contact() -> list[str]:
        response = await client.get(
            f"/api/v1/contacts/{contact['id']}/messages", headers=tenant.headers
        )
        return [a["id"] for m in response.json()["data"] for a in m["attachments"]]

    both = await eventually(files_of_contact, lambda ids: len(ids) == 2)
    [inbound] = [f for f in both if f != used]

    async def inbound_status() -> str:
        response = await client.get(f"/api/v1/files/{inbound}", headers=tenant.headers)
        status: str = response.json()["data"]["status"]
        return status

    # Its bytes fetched first: a fetch still under way at the deletion below cleans up after
    # itself (the next test), but possibly after this one has looked.
    await eventually(inbound_status, lambda status: status == "ready")

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


async def test_a_file_deleted_while_its_bytes_were_fetched_leaves_none_behind(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantFixture, settings: Settings
) -> None:
    """The race a CI run once lost: the contact (so the message, so its file) is deleted and
    the sweep takes the row while the file's download is under way; the download then stores
    bytes no row points at. They must not stay."""
    db: Database = app.state.db
    storage: Storage = app.state.storage
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000610")
    photo = ("photo.png", samples.png(), "image/png")
    assert (await receive(client, tenant, "+966511110061", photo)).status_code == 201

    # Let the background fetch finish, then make the file pending again with no bytes: the
    # fetch below is the only one.
    [message] = await eventually(
        lambda: history(client, tenant),
        lambda rows: len(rows) == 1 and rows[0]["attachments"][0]["status"] == "ready",
    )
    contact_id, file = message["contact_id"], message["attachments"][0]
    async with db.transaction() as session:
        await session.execute(
            update(File)
            .where(File.public_id == file["id"])
            .values(status=FileStatus.PENDING, storage_key=None)
        )
        file_id = (
            await session.execute(select(File.id).where(File.public_id == file["id"]))
        ).scalar_one()
    await storage.delete(f"{tenant.workspace_id}/{file['id']}")

    class DeletedMeanwhile:
        """Storage whose first put comes after the contact's deletion and a sweep."""

        async def put(self, key: str, data: bytes) -> None:
            deleted = await client.delete(f"/api/v1/contacts/{contact_id}", headers=tenant.headers)
            assert deleted.status_code == 204
            # At least this file (earlier tests on this database may have left others).
            assert await sweep(db, storage, settings, utcnow() + timedelta(hours=25)) >= 1
            assert not await exists(client, tenant, file["id"])
            await storage.put(key, data)

        def __getattr__(self, name: str) -> Any:
            return getattr(storage, name)

    status = await fetch(db, app.state.unipile, DeletedMeanwhile(), settings, file_id)
    assert status is None
    assert not await stored(storage, tenant, file["id"])
