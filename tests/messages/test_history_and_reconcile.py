"""History pages, and catching up from Unipile after dropped and duplicated webhooks."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import TenantFixture
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact

pytestmark = pytest.mark.both_databases


async def _history(
    client: httpx.AsyncClient, tenant: TenantFixture, contact_id: int, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/contacts/{contact_id}/messages", params=params, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_history_pages_newest_first_with_a_direction_filter(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000400")
    contact = await make_contact(
        client, tenant, name="H", channel="whatsapp", phone="+966500000020"
    )
    for i in range(17):
        response = await client.post(
            "/api/v1/messages/send",
            json={"contact_id": contact["id"], "message": f"m{i}"},
            headers=tenant.headers,
        )
        assert response.status_code == 201
    page1 = await _history(client, tenant, contact["id"])
    assert page1["meta"] == {"current_page": 1, "last_page": 2, "per_page": 15, "total": 17}
    assert page1["data"][0]["content"] == "m16"
    page2 = await _history(client, tenant, contact["id"], page=2)
    assert [m["content"] for m in page2["data"]] == ["m1", "m0"]
    inbound = await _history(client, tenant, contact["id"], direction="inbound")
    assert inbound["meta"]["total"] == 0
    bad = await client.get(
        f"/api/v1/contacts/{contact['id']}/messages",
        params={"direction": "sideways"},
        headers=tenant.headers,
    )
    assert bad.status_code == 422


async def test_after_dropped_and_duplicated_webhooks_reconciliation_stores_each_once(
    client: httpx.AsyncClient, tenant: TenantFixture, app: FastAPI
) -> None:
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000401")
    senders = ["+966500000031", "+966500000032", "+966500000033", "+966500000034"]
    texts = [f"inbound {i}" for i in range(40)]
    faults = {"webhook_drop_rate": 0.2, "webhook_duplicate_rate": 0.2}
    await client.post("/api/v1/sandbox/faults", json=faults, headers=tenant.headers)
    try:
        for i, text in enumerate(texts):
            response = await client.post(
                "/api/v1/sandbox/inbound",
                json={"channel": "whatsapp", "from": senders[i % 4], "text": text},
                headers=tenant.headers,
            )
            assert response.status_code == 201
    finally:
        await client.post("/api/v1/sandbox/faults", json={}, headers=tenant.headers)

    async def stored() -> list[str]:
        listing = await client.get(
            "/api/v1/conversations", params={"per_page": 100}, headers=tenant.headers
        )
        contents: list[str] = []
        for row in listing.json()["data"]:
            history = await _history(client, tenant, row["contact_id"], per_page=100)
            contents += [m["content"] for m in history["data"]]
        return contents

    # Every webhook that was not dropped has been answered (duplicates included): compare.
    control = app.state.simulator
    pending = await eventually(control.deliveries, lambda d: not d.get("pending"), within=30)
    assert not pending.get("pending"), pending
    before = await stored()
    assert len(before) < 40, "no webhook was dropped: the test proved nothing"
    assert max(Counter(before).values()) == 1  # duplicates were applied once

    report = await app.state.reconciler.run_once()
    after = await stored()
    assert Counter(after) == Counter(texts)
    assert report.stored == 40 - len(before)
    listing = await client.get("/api/v1/conversations", headers=tenant.headers)
    assert sum(r["unread_count"] for r in listing.json()["data"]) == 40

    again = await app.state.reconciler.run_once()
    assert again.stored == 0
    assert Counter(await stored()) == Counter(texts)
