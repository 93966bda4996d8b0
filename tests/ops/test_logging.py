"""Log lines carry the request and workspace ids and never an API key or a configured secret;
checked through the handler, filter and formatters the server configures."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from skylight.kit.logging import ContextFilter, JsonFormatter, TextFormatter, secrets_of
from skylight.kit.settings import Settings
from tests.factories import TenantFixture

UNIPILE_SECRET = "unipile-token-not-for-logs"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything the skylight.* loggers say, as our JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets=[UNIPILE_SECRET]))
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("skylight")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def parse(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_access_lines_carry_the_request_and_workspace_ids_and_no_key(
    client: httpx.AsyncClient, tenant: TenantFixture, json_lines: io.StringIO
) -> None:
    ok = await client.get(
        "/api/v1/contacts?q=secret-search", headers={**tenant.headers, "X-Request-Id": "trace-0001"}
    )
    wrong_key = tenant.key[:-4] + "abcd"
    refused = await client.get("/api/v1/contacts", headers={"X-Api-Key": wrong_key})
    assert ok.status_code == 200
    assert refused.status_code == 401

    access = [line for line in parse(json_lines) if line["logger"] == "skylight.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/api/v1/contacts", 200),
        ("GET", "/api/v1/contacts", 401),
    ]
    assert access[0]["request_id"] == "trace-0001"
    assert access[0]["workspace_id"] == tenant.workspace_id
    assert access[1]["request_id"] == refused.headers["X-Request-Id"]
    assert "workspace_id" not in access[1]
    assert all(isinstance(a["duration_ms"], float) for a in access)
    text = json_lines.getvalue()
    assert tenant.key not in text
    assert wrong_key not in text
    assert "secret-search" not in text  # query strings are not logged


async def test_lines_logged_deep_inside_a_request_carry_its_ids(
    client: httpx.AsyncClient, tenant: TenantFixture, json_lines: io.StringIO
) -> None:
    connect = await client.post("/api/v1/channels/whatsapp/connect", headers=tenant.headers)
    assert connect.status_code == 200, connect.text
    request_id = connect.headers["X-Request-Id"]
    # The Unipile transport logs each exchange at DEBUG, far below the endpoint.
    upstream = [
        line
        for line in parse(json_lines)
        if line["logger"] == "skylight.integrations.unipile.transport"
        and line.get("request_id") == request_id
    ]
    assert upstream
    assert all(line["workspace_id"] == tenant.workspace_id for line in upstream)


def test_keys_and_configured_secrets_are_scrubbed_whoever_logs_them(
    json_lines: io.StringIO,
) -> None:
    key = "sk_live_" + "A1b2C3d4" * 5
    logger = logging.getLogger("skylight.tests")
    logger.info("calling with %s and %s", key, UNIPILE_SECRET)
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        logger.exception("failed")
    text = json_lines.getvalue()
    assert key not in text
    assert UNIPILE_SECRET not in text
    first, second = parse(json_lines)
    assert first["message"] == "calling with sk_live_A1b2[redacted] and [redacted]"
    assert "sk_live_A1b2[redacted]" in second["exception"]


def test_text_lines_show_the_ids_and_scrub_keys() -> None:
    record = logging.makeLogRecord(
        {"name": "skylight.x", "levelno": logging.INFO, "levelname": "INFO", "msg": "key %s"}
    )
    record.args = ("sk_test_" + "z" * 40,)
    record.request_id, record.workspace_id = "req_1", 7
    line = TextFormatter().format(record)
    assert line.endswith("skylight.x [req=req_1 ws=7] key sk_test_zzzz[redacted]")


def test_the_secrets_to_scrub_come_from_the_settings() -> None:
    settings = Settings(
        unipile_api_key=SecretStr(UNIPILE_SECRET),
        unipile_webhook_secret=SecretStr("webhook-secret-value"),
        metrics_token=SecretStr("metrics-token-value"),
        database_url="postgresql+asyncpg://skylight:db-password-value@db/skylight",
        redis_url="redis://:redis-password-value@cache:6379/0",
    )
    assert sorted(secrets_of(settings)) == sorted(
        [
            UNIPILE_SECRET,
            "webhook-secret-value",
            "metrics-token-value",
            "db-password-value",
            "redis-password-value",
        ]
    )
