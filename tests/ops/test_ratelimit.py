"""Rate limits in one process (in-memory counters), with tiny limits set through Settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from skylight.kit.settings import Settings
from tests.factories import make_tenant
from tests.ops.conftest import in_process, running_app
from tests.processes import free_port


@pytest.fixture(scope="module")
async def limited_app(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async with running_app(
        settings,
        tmp_path_factory.mktemp("limited"),
        rate_limit_per_key="3/hour",
        rate_limit_failed_auth_per_ip="2/hour",
    ) as app:
        yield app


async def test_a_key_gets_its_budget_with_headers_then_429_with_retry_after(
    limited_app: FastAPI,
) -> None:
    tenant = await make_tenant(limited_app.state.sessionmaker)
    async with in_process(limited_app) as client:
        answers = [await client.get("/api/v1/contacts", headers=tenant.headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Limit"] for a in answers] == ["3"] * 4
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(0 < int(a.headers["RateLimit-Reset"]) <= 3600 for a in answers)

    refused = answers[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    body = refused.json()
    assert body["success"] is False
    assert body["message"].startswith("Too many requests.")
    assert refused.headers["X-Request-Id"]


async def test_each_key_has_its_own_budget(limited_app: FastAPI) -> None:
    first = await make_tenant(limited_app.state.sessionmaker)
    second = await make_tenant(limited_app.state.sessionmaker)
    async with in_process(limited_app) as client:
        for _ in range(3):
            assert (await client.get("/api/v1/contacts", headers=first.headers)).status_code == 200
        assert (await client.get("/api/v1/contacts", headers=first.headers)).status_code == 429
        other = await client.get("/api/v1/contacts", headers=second.headers)
    assert other.status_code == 200
    assert other.headers["RateLimit-Remaining"] == "2"


async def test_wrong_keys_from_one_ip_are_refused_with_429_after_the_budget(
    limited_app: FastAPI,
) -> None:
    tenant = await make_tenant(limited_app.state.sessionmaker)
    wrong = {"Authorization": "Bearer sk_test_guessed-wrong"}
    async with in_process(limited_app, client_ip="192.0.2.10") as client:
        answers = [await client.get("/api/v1/contacts", headers=wrong) for _ in range(3)]
        # A request with no key at all spends the same budget (it is refused too).
        missing = await client.get("/api/v1/contacts")
        # A valid key is never refused because of its IP.
        valid = await client.get("/api/v1/contacts", headers=tenant.headers)
    async with in_process(limited_app, client_ip="192.0.2.11") as client:
        elsewhere = await client.get("/api/v1/contacts", headers=wrong)
        keyless = await client.get("/api/v1/contacts")

    assert [a.status_code for a in answers] == [401, 401, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert answers[-1].json()["success"] is False
    assert missing.status_code == 429
    assert valid.status_code == 200
    assert valid.headers["RateLimit-Limit"] == "3"
    assert elsewhere.status_code == 401
    assert keyless.status_code == 401
    assert keyless.headers["RateLimit-Remaining"] == "0"


async def test_probes_carry_no_rate_limit_headers(limited_app: FastAPI) -> None:
    async with in_process(limited_app) as client:
        health = await client.get("/healthz")
    assert health.status_code == 200
    assert "RateLimit-Limit" not in health.headers


async def test_an_unreachable_redis_lets_requests_through_and_is_counted(
    settings: Settings, tmp_path: Path
) -> None:
    closed_port = free_port()  # nothing listens there
    async with running_app(
        settings, tmp_path, redis_url=f"redis://127.0.0.1:{closed_port}/0"
    ) as app:
        tenant = await make_tenant(app.state.sessionmaker)
        before = REGISTRY.get_sample_value("skylight_rate_limit_storage_errors_total") or 0.0
        async with in_process(app) as client:
            answer = await client.get("/api/v1/contacts", headers=tenant.headers)
        after = REGISTRY.get_sample_value("skylight_rate_limit_storage_errors_total") or 0.0
    assert answer.status_code == 200
    assert "RateLimit-Limit" not in answer.headers
    assert after - before == 1
