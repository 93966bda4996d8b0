"""Signed webhook deliveries to our users' endpoints."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from skylight.events.models import Event
from skylight.events.service import emit
from skylight.kit.db import Database
from skylight.webhooks.signing import new_secret, signature_headers
from skylight.webhooks.urls import check_url
from tests.events.receiver import Receiver
from tests.factories import TenantFixture
from tests.processes import free_port
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact
from tests.servers import serve_in_loop

pytestmark = pytest.mark.both_databases

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify() -> Callable[..., bool]:
    """The verification snippet exactly as the README shows it."""
    text = README.read_text()
    block = re.search(r"### Verifying a webhook signature.*?```python\n(.*?)```", text, re.S)
    assert block, "README lost its verification snippet"
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)  # noqa: S102 - our own README, the point of the test
    verify: Callable[..., bool] = namespace["verify"]
    return verify


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    port = free_port()
    async with serve_in_loop(hook.app(), port):
        yield hook, f"http://127.0.0.1:{port}/hook"


async def _endpoint(
    client: httpx.AsyncClient, tenant: TenantFixture, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/webhook-endpoints",
        json={"url": url, "event_types": types or ["*"]},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    assert data["secret"].startswith("whsec_")
    return data


async def _all_events(client: httpx.AsyncClient, tenant: TenantFixture) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"after": cursor} if cursor else {})}
        page = (await client.get("/api/v1/events", params=params, headers=tenant.headers)).json()
        events += page["data"]
        if not page["meta"]["has_more"]:
            return events
        cursor = page["meta"]["next_cursor"]


async def test_a_receiver_failing_half_the_attempts_gets_every_event_once(
    client: httpx.AsyncClient, tenant: TenantFixture, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.fail_half = True
    endpoint = await _endpoint(client, tenant, url)
    await connect_qr_channel(client, tenant, "whatsapp", "+966500000500")
    contact = await make_contact(
        client, tenant, name="E", channel="whatsapp", phone="+966500000050"
    )
    for i in range(5):
        await client.post(
            "/api/v1/messages/send",
            json={"contact_id": contact["id"], "message": f"out {i}"},
            headers=tenant.headers,
        )
        await client.post(
            "/api/v1/sandbox/inbound",
            json={"channel": "whatsapp", "from": "+966500000051", "text": f"in {i}"},
            headers=tenant.headers,
        )

    async def expected() -> set[str]:
        return {e["id"] for e in await _all_events(client, tenant)}

    wanted = await eventually(expected, lambda ids: len(ids) >= 13)
    types = {e["type"] for e in await _all_events(client, tenant)}
    assert {
        "message.sent",
        "message.received",
        "contact.created",
        "channel.status_changed",
    } <= types

    async def delivered() -> set[str]:
        return set(hook.processed)

    got = await eventually(delivered, lambda ids: ids >= wanted, within=30)
    assert got >= wanted
    assert len(hook.processed) == len(set(hook.processed))
    assert hook.failures > 0, "the receiver never failed: the test proved nothing"
    assert len(hook.requests) > len(set(hook.processed))  # retries happened

    verify = readme_verify()
    for headers, body in hook.requests:
        assert verify(endpoint["secret"], headers, body)

    async def deliveries() -> list[dict[str, Any]]:
        response = await client.get(
            f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries",
            params={"per_page": 100},
            headers=tenant.headers,
        )
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    # A retry may still be due for an event the receiver processed on a "failed" attempt.
    # Late status events can still be arriving: settle on "one delivery per event, all done".
    async def settled() -> tuple[list[dict[str, Any]], set[str]]:
        return await deliveries(), await expected()

    rows, events = await eventually(
        settled,
        lambda pair: (
            len(pair[0]) == len(pair[1]) and all(r["state"] == "succeeded" for r in pair[0])
        ),
        within=30,
    )
    assert len(rows) == len(events)
    assert set(hook.processed) == events
    assert all(r["state"] == "succeeded" for r in rows)
    retried = [r for r in rows if r["attempts"] > 1]
    assert retried
    assert retried[0]["attempt_log"][0]["status_code"] == 500
    assert retried[0]["attempt_log"][0]["response_body"] == "temporarily broken"
    assert retried[0]["attempt_log"][-1]["status_code"] == 200


def test_the_readme_check_refuses_tampering_a_wrong_secret_and_a_stale_timestamp() -> None:
    verify = readme_verify()
    secret = new_secret()
    body = b'{"id":"evt_1","type":"message.received"}'
    headers = signature_headers([secret], "evt_1", body)
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"received", b"sent"))
    assert not verify(secret, {**headers, "webhook-id": "evt_2"}, body)
    assert not verify(new_secret(), headers, body)
    stale = signature_headers([secret], "evt_1", body, timestamp=int(time.time()) - 301)
    assert not verify(secret, stale, body)


async def test_rotation_signs_with_both_secrets_during_the_grace_period(
    client: httpx.AsyncClient, tenant: TenantFixture, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    endpoint = await _endpoint(client, tenant, url)
    rotated = await client.post(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=tenant.headers
    )
    assert rotated.status_code == 200
    fresh = rotated.json()["data"]["secret"]
    assert fresh != endpoint["secret"]
    test = await client.post(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.headers
    )
    assert test.status_code == 200
    await eventually(lambda _=None: _count(hook), lambda n: n >= 1)  # type: ignore[misc]
    headers, body = hook.requests[0]
    verify = readme_verify()
    assert verify(fresh, headers, body)
    assert verify(endpoint["secret"], headers, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert json.loads(body)["type"] == "webhook_endpoint.test"


async def _count(hook: Receiver) -> int:
    return len(hook.requests)


async def test_redirects_are_not_followed_and_exhaustion_disables_the_endpoint(
    client: httpx.AsyncClient, tenant: TenantFixture, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.redirect = True
    broken = await _endpoint(client, tenant, url, ["webhook_endpoint.test"])
    watcher = await _endpoint(
        client, tenant, url.replace("/hook", "/never"), ["webhook_endpoint.disabled"]
    )
    await client.post(f"/api/v1/webhook-endpoints/{broken['id']}/test", headers=tenant.headers)

    async def state() -> dict[str, Any]:
        data: dict[str, Any] = (
            await client.get(f"/api/v1/webhook-endpoints/{broken['id']}", headers=tenant.headers)
        ).json()["data"]
        return data

    final = await eventually(state, lambda e: not e["enabled"], within=20)
    assert final["enabled"] is False
    assert "kept failing" in final["disabled_reason"]
    deliveries = (
        await client.get(
            f"/api/v1/webhook-endpoints/{broken['id']}/deliveries", headers=tenant.headers
        )
    ).json()["data"]
    assert deliveries[0]["state"] == "failed"
    assert deliveries[0]["attempts"] == 7  # the first try and the six retries of the test schedule
    assert deliveries[0]["attempt_log"][0]["error"] == "Redirects are not followed."
    disabled = [
        e for e in await _all_events(client, tenant) if e["type"] == "webhook_endpoint.disabled"
    ]
    assert [e["data"]["id"] for e in disabled] == [broken["id"]]
    assert watcher["id"] != broken["id"]

    # Re-enabled and redelivered, it goes through once the receiver works again.
    hook.redirect = False
    await client.patch(
        f"/api/v1/webhook-endpoints/{broken['id']}", json={"enabled": True}, headers=tenant.headers
    )
    redo = await client.post(
        f"/api/v1/webhook-endpoints/{broken['id']}/deliveries/{deliveries[0]['id']}/redeliver",
        headers=tenant.headers,
    )
    assert redo.status_code == 200

    async def first_state() -> str:
        rows = (
            await client.get(
                f"/api/v1/webhook-endpoints/{broken['id']}/deliveries", headers=tenant.headers
            )
        ).json()["data"]
        value: str = rows[0]["state"]
        return value

    assert await eventually(first_state, lambda s: s == "succeeded") == "succeeded"


async def test_endpoint_crud_validation_and_isolation(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    created = await _endpoint(
        client, tenant, "https://hooks.example.com/skylight", ["message.received"]
    )
    listed = (await client.get("/api/v1/webhook-endpoints", headers=tenant.headers)).json()["data"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    patched = await client.patch(
        f"/api/v1/webhook-endpoints/{created['id']}",
        json={"event_types": ["message.sent", "message.failed"]},
        headers=tenant.headers,
    )
    assert patched.json()["data"]["event_types"] == ["message.failed", "message.sent"]
    bad = await client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "https://x.example.com", "event_types": ["message.teleported"]},
        headers=tenant.headers,
    )
    assert bad.status_code == 422
    assert "event_types" in bad.json()["errors"]
    for url in ("ftp://example.com/x", "https://user:pw@example.com/x"):
        response = await client.post(
            "/api/v1/webhook-endpoints", json={"url": url}, headers=tenant.headers
        )
        assert response.status_code == 422, url
    assert (
        await client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=other_tenant.headers)
    ).status_code == 404
    deleted = await client.delete(
        f"/api/v1/webhook-endpoints/{created['id']}", headers=tenant.headers
    )
    assert deleted.status_code == 204
    assert (
        await client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=tenant.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_private_and_loopback_urls_are_refused_unless_allowed(url: str) -> None:
    from skylight.kit.errors import Unprocessable

    with pytest.raises(Unprocessable):
        check_url(url, allow_private=False)
    assert check_url(url, allow_private=True) == url
    assert check_url("https://hooks.example.com/x", allow_private=False)


async def test_an_event_of_a_rolled_back_change_never_exists(
    app: FastAPI, tenant: TenantFixture
) -> None:
    db: Database = app.state.db

    async def failing_change() -> None:
        async with db.transaction() as session:
            await emit(session, tenant.workspace_id, "contact.created", {"id": -1})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with db.transaction() as session:
        rows = (
            await session.scalars(select(Event).where(Event.workspace_id == tenant.workspace_id))
        ).all()
    assert rows == []
