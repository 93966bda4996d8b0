"""Retries, timeouts and unreachable upstreams: what is repeated and what never is."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
import pytest

from skylight.integrations.unipile import UnipileClient, whatsapp_provider_id
from skylight.integrations.unipile.errors import (
    UnipileError,
    UnipileProtocolError,
    UnipileRateLimited,
    UnipileServerError,
    UnipileTimeout,
    UnipileUnreachable,
)
from tests.integrations.unipile.conftest import API_KEY, Sim, connected_whatsapp
from tests.integrations.unipile.harness import ScriptedUpstream, serve

JSON = {"content-type": "application/json"}
EMPTY_LIST = json.dumps({"object": "AccountList", "items": [], "cursor": None}).encode()


class Counter:
    def __init__(self) -> None:
        self.requests: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(f"{request.method} {request.url.path}")


@asynccontextmanager
async def counted_client(
    url: str, *, call_timeout: float = 5.0, max_retries: int = 3
) -> AsyncIterator[tuple[UnipileClient, Counter]]:
    counter = Counter()
    async with httpx.AsyncClient(event_hooks={"request": [counter]}) as http:
        client = UnipileClient(
            url,
            API_KEY,
            timeout=call_timeout,
            max_retries=max_retries,
            backoff_base=0.01,
            http=http,
        )
        yield client, counter


async def test_gets_succeed_through_retries(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    await sim.control.set_faults(error_rate=0.3)
    async with counted_client(sim.url, max_retries=5) as (client, counter):
        results = []
        for _ in range(30):
            with suppress(UnipileServerError):
                results.append(await client.get_account(account_id))
    assert len(results) >= 28
    assert len(counter.requests) > 30  # some calls needed a second attempt


async def test_posts_are_never_retried(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    await sim.control.set_faults(error_rate=0.3)
    bob = whatsapp_provider_id("+966551234567")
    successes = 0
    failures: list[UnipileServerError] = []
    async with counted_client(sim.url, max_retries=5) as (client, counter):
        for i in range(20):
            try:
                await client.start_chat(account_id, [bob], f"message {i}")
                successes += 1
            except UnipileServerError as exc:
                failures.append(exc)
    await sim.control.set_faults()
    assert failures
    assert {f.type for f in failures} <= {"errors/service_unavailable", "errors/unexpected_error"}
    assert len(counter.requests) == 20  # one attempt per send, failed or not
    # Faults strike before any state change: only the successful sends exist.
    assert len(await sim.control.sent([account_id])) == successes


async def test_latency_above_timeout_raises_timeout(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    await sim.control.set_faults(latency_ms=1500)
    async with counted_client(sim.url, call_timeout=0.3, max_retries=1) as (client, counter):
        started = time.monotonic()
        with pytest.raises(UnipileTimeout):
            await client.get_account(account_id)
        assert time.monotonic() - started < 1.2  # 2 attempts x 0.3 s + a short backoff
        assert len(counter.requests) == 2
        with pytest.raises(UnipileTimeout):
            await client.send_message("any-chat", "maybe sent")
        assert len(counter.requests) == 3  # the POST may have reached Unipile: not repeated
    await sim.control.set_faults()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused_is_retried_even_for_posts() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    async with counted_client(url, max_retries=2) as (client, counter):
        started = time.monotonic()
        with pytest.raises(UnipileUnreachable):
            await client.list_accounts()
        assert len(counter.requests) == 3
        with pytest.raises(UnipileUnreachable):
            await client.send_message("chat", "never left")
        assert len(counter.requests) == 6  # never reached the server: safe to repeat
        assert time.monotonic() - started < 5


async def test_rate_limit_honours_retry_after() -> None:
    upstream = ScriptedUpstream(
        [
            (
                429,
                {**JSON, "retry-after": "0.3"},
                b'{"status":429,"type":"errors/too_many_requests","title":"Too Many Requests"}',
            ),
            (200, JSON, EMPTY_LIST),
        ]
    )
    async with serve(upstream) as url, counted_client(url) as (client, counter):
        started = time.monotonic()
        page = await client.list_accounts()
        assert page.items == []
        assert time.monotonic() - started >= 0.3
        assert len(counter.requests) == 2


async def test_rate_limited_post_is_not_retried() -> None:
    upstream = ScriptedUpstream([(429, {**JSON, "retry-after": "1"}, b"{}")])
    async with serve(upstream) as url, counted_client(url) as (client, counter):
        with pytest.raises(UnipileRateLimited) as caught:
            await client.send_message("chat", "hi")
        assert caught.value.retry_after == 1.0
        assert len(counter.requests) == 1


async def test_garbage_answers() -> None:
    upstream = ScriptedUpstream(
        [
            (502, {"content-type": "text/html"}, b"<html>Bad gateway</html>"),
            (200, {"content-type": "text/html"}, b"<html>login</html>"),
            (200, JSON, b'{"object": "Something"}'),
        ]
    )
    async with serve(upstream) as url, counted_client(url, max_retries=0) as (client, _):
        with pytest.raises(UnipileServerError) as bad_gateway:
            await client.list_accounts()
        assert bad_gateway.value.status == 502
        with pytest.raises(UnipileProtocolError):
            await client.list_accounts()
        with pytest.raises(UnipileProtocolError):
            await client.list_accounts()


async def test_secrets_never_in_messages() -> None:
    secret = "IG-pass-" + "x" * 8
    body = json.dumps(
        {
            "status": 401,
            "type": "errors/invalid_credentials",
            "title": "Unauthorized",
            "detail": f"bad password {secret} for key {API_KEY}",
        }
    ).encode()
    upstream = ScriptedUpstream([(401, JSON, body)])
    async with serve(upstream) as url, counted_client(url) as (client, _):
        assert API_KEY not in repr(client)
        with pytest.raises(UnipileError) as caught:
            await client.connect_account("INSTAGRAM", username="shop", password=secret)
    text = f"{caught.value} {caught.value.detail}"
    assert secret not in text
    assert API_KEY not in text
