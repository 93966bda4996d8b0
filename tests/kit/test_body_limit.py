"""Request bodies are refused with 413 in the envelope before anything reads them: with or
without a key, declared or chunked, and tighter on Unipile's webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from skylight.kit.settings import Settings
from tests.factories import TenantFixture


def assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "Request body too large."
    assert response.headers["X-Request-Id"]


async def test_a_body_over_the_limit_is_413_with_or_without_a_key(
    client: httpx.AsyncClient, tenant: TenantFixture, settings: Settings
) -> None:
    too_big = b'{"name": "' + b"x" * settings.max_request_body_bytes + b'"}'
    for headers in (tenant.headers, {}):
        response = await client.post(
            "/api/v1/contacts",
            content=too_big,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert_413(response)
        assert response.json()["errors"] == {
            "body": [f"At most {settings.max_request_body_bytes} bytes on this path."]
        }


async def test_a_chunked_body_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, tenant: TenantFixture, settings: Settings
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):
            sent += 65_536
            yield b" " * 65_536

    response = await client.post(
        "/api/v1/contacts",
        content=chunks(),
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert_413(response)
    assert sent < 64 * 65_536  # the rest was never asked for


async def test_unipiles_webhook_has_a_tighter_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    limit = settings.max_unipile_webhook_body_bytes
    assert limit < settings.max_request_body_bytes
    over = await client.post("/webhooks/unipile", content=b" " * (limit + 1))
    assert_413(over)
    under = await client.post("/webhooks/unipile", content=b" " * limit)
    assert under.status_code == 401  # read as far as the secret check: no 413
