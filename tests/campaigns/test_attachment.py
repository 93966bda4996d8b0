"""A campaign can carry one file: checked against its channel when created, sent with every
message, and kept (never swept) while the campaign exists."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from skylight.files.limits import MB
from skylight.files.sweep import sweep
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from tests.campaigns.flows import act, connect_whatsapp, create, until_state, whatsapp_contacts
from tests.factories import TenantFixture
from tests.files import samples
from tests.sandbox_flows import sent_log

pytestmark = pytest.mark.both_databases


async def upload(client: httpx.AsyncClient, tenant: TenantFixture, data: bytes, name: str) -> str:
    response = await client.post(
        "/api/v1/files", files={"file": (name, data)}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    file_id: str = response.json()["data"]["id"]
    return file_id


async def test_every_recipient_gets_the_campaigns_file(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    campaign_app: FastAPI,
    campaign_settings: Settings,
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 3, name="Noor")
    menu = await upload(client, tenant, samples.PDF, "ramadan-menu.pdf")
    campaign = await create(
        client, tenant, filter={}, message="Our menu, {{name}}", attachment=menu
    )
    assert campaign["attachment"]["id"] == menu
    assert campaign["attachment"]["filename"] == "ramadan-menu.pdf"

    # Days later, before any message used it, the upload is still there: the campaign holds it.
    db: Database = campaign_app.state.db
    await sweep(db, campaign_app.state.storage, campaign_settings, utcnow() + timedelta(days=2))
    kept = await client.get(f"/api/v1/files/{menu}/content", headers=tenant.headers)
    assert kept.status_code == 200
    assert kept.content == samples.PDF

    await act(client, tenant, campaign["id"], "start")
    done = await until_state(client, tenant, campaign["id"], "completed")
    assert done["progress"]["sent"] == 3

    sent = await sent_log(client, tenant)
    assert len(sent) == 3
    digest = hashlib.sha256(samples.PDF).hexdigest()
    assert all([f["sha256"] for f in s["attachments"]] == [digest] for s in sent)


async def test_a_file_the_channel_refuses_is_refused_at_creation(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await whatsapp_contacts(client, tenant, 1)
    big = await upload(client, tenant, samples.padded(samples.JPEG, 6 * MB), "poster.jpg")
    response = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Poster",
            "channel": "whatsapp",
            "message": "Hi",
            "filter": {},
            "attachment": big,
        },
        headers=tenant.headers,
    )
    assert response.status_code == 413
    assert response.json()["errors"] == {
        "attachment": ["The file is 6 MB; WhatsApp images may be at most 5 MB."]
    }
