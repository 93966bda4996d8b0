"""/metrics: off without a token, bearer-protected with one, and after a run of sends the
message counts are the database's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from skylight.kit.settings import Settings
from tests.factories import make_tenant
from tests.ops.conftest import in_process, running_app
from tests.sandbox_flows import connect_qr_channel, eventually, make_contact

TOKEN = "metrics-token-for-tests"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def metrics_app(
    settings: Settings, fresh_database_url: str, tmp_path: Path
) -> AsyncIterator[FastAPI]:
    async with running_app(
        settings, tmp_path, database_url=fresh_database_url, metrics_token=SecretStr(TOKEN)
    ) as app:
        yield app


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def message_samples(samples: Samples) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for (name, labels), number in samples.items():
        if name == "skylight_messages":
            label = dict(labels)
            found[(label["direction"], label["status"])] = int(number)
    return found


async def database_counts(url: str) -> dict[tuple[str, str], int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT direction, status, COUNT(*) FROM messages GROUP BY direction, status")
            )
            return {(direction, status): count for direction, status, count in rows}
    finally:
        await engine.dispose()


async def test_metrics_are_off_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["success"] is False


async def test_metrics_need_the_bearer_token(metrics_app: FastAPI) -> None:
    async with in_process(metrics_app) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers=SCRAPE)
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["success"] is False
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert right.status_code == 200


async def test_after_a_run_of_sends_the_message_counts_are_the_databases(
    metrics_app: FastAPI, fresh_database_url: str
) -> None:
    sends = 5
    tenant = await make_tenant(metrics_app.state.sessionmaker)
    async with in_process(metrics_app) as client:
        await connect_qr_channel(client, tenant, "whatsapp", "+966500000771")
        contact = await make_contact(
            client, tenant, name="Metrics", channel="whatsapp", phone="+966500000772"
        )
        before = await scrape(client)
        for number in range(sends):
            sent = await client.post(
                "/api/v1/messages/send",
                json={"contact_id": contact["id"], "message": f"hello {number}"},
                headers=tenant.headers,
            )
            assert sent.status_code == 201, sent.text
        route_404 = await client.get(f"/api/v1/messages/{10**6}", headers=tenant.headers)
        assert route_404.status_code == 404
        assert (await client.get("/api/v1/no-such-route")).status_code == 404

        # Receipts and echoes arrive by webhook, so statuses may still move: compare once
        # the scrape and the database agree, within a bound.
        async def both() -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
            return message_samples(await scrape(client)), await database_counts(fresh_database_url)

        scraped, stored = await eventually(both, lambda pair: pair[0] == pair[1])
        after = await scrape(client)

    assert scraped == stored
    assert sum(n for (direction, _), n in stored.items() if direction == "outbound") == sends
    assert value(after, "skylight_metrics_database_up") == 1

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    send_route = {"method": "POST", "route": "/api/v1/messages/send"}
    assert delta("skylight_http_requests_total", status="201", **send_route) == sends
    assert delta("skylight_http_request_duration_seconds_count", **send_route) == sends
    one_message = {"method": "GET", "route": "/api/v1/messages/{message_id}", "status": "404"}
    assert delta("skylight_http_requests_total", **one_message) == 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert delta("skylight_http_requests_total", **unmatched) == 1
    # Each send is one POST to Unipile's chats (the first starts the chat).
    unipile = {"method": "POST", "resource": "chats"}
    assert delta("skylight_unipile_requests_total", outcome="ok", **unipile) == sends
    assert delta("skylight_unipile_request_duration_seconds_count", **unipile) == sends


async def test_unipile_errors_are_counted_by_type(metrics_app: FastAPI) -> None:
    tenant = await make_tenant(metrics_app.state.sessionmaker)
    async with in_process(metrics_app) as client:
        before = await scrape(client)
        faults = await client.post(
            "/api/v1/sandbox/faults", json={"error_rate": 1.0}, headers=tenant.headers
        )
        assert faults.status_code == 200
        try:
            failed = await client.post("/api/v1/channels/whatsapp/connect", headers=tenant.headers)
        finally:
            await client.post("/api/v1/sandbox/faults", json={}, headers=tenant.headers)
        after = await scrape(client)
    assert failed.status_code in (502, 503)

    errors = sum(
        number - before.get(key, 0.0)
        for key, number in after.items()
        if key[0] == "skylight_unipile_errors_total"
        and dict(key[1])["type"] == "UnipileServerError"
    )
    assert errors >= 1


async def test_queue_depths_are_the_databases(
    metrics_app: FastAPI, fresh_database_url: str
) -> None:
    tenant = await make_tenant(metrics_app.state.sessionmaker)
    async with in_process(metrics_app) as client:
        # An endpoint nobody listens on: its test event's delivery waits for a retry.
        endpoint = await client.post(
            "/api/v1/webhook-endpoints",
            json={"url": "http://127.0.0.1:9/nowhere", "event_types": ["*"]},
            headers=tenant.headers,
        )
        assert endpoint.status_code == 201, endpoint.text
        endpoint_id = endpoint.json()["data"]["id"]
        test = await client.post(
            f"/api/v1/webhook-endpoints/{endpoint_id}/test", headers=tenant.headers
        )
        assert test.status_code == 200

        async def delivery_state() -> str:
            rows = await client.get(
                f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=tenant.headers
            )
            data = rows.json()["data"]
            return str(data[0]["state"]) if data else "none"

        # Settled (every retry failed, the job gone), so the scrape and the query below agree.
        assert await eventually(delivery_state, lambda s: s == "failed", within=30) == "failed"
        samples = await scrape(client)
    engine = create_async_engine(fresh_database_url)
    try:
        async with engine.connect() as connection:
            deliveries: dict[str, int] = dict(
                (
                    await connection.execute(
                        text("SELECT state, count(*) FROM webhook_deliveries GROUP BY state")
                    )
                ).all()
            )
            jobs = (
                await connection.execute(
                    text("SELECT kind, state, count(*) FROM jobs GROUP BY kind, state")
                )
            ).all()
    finally:
        await engine.dispose()
    assert deliveries, "the test event made no delivery"
    for state, count in deliveries.items():
        assert value(samples, "skylight_webhook_deliveries", state=state) == count
    for kind, state, count in jobs:
        assert value(samples, "skylight_jobs", kind=kind, state=state) == count
